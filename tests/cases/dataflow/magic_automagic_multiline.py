# parse_error: 1
# defines: imblearn
# ---
pip install imblearn
import imblearn
