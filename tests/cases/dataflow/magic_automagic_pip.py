# magics: line:pip
# ---
pip install imblearn
