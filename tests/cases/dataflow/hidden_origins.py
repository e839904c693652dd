# uses: exec, source
# hidden: from pylab import *, exec, %run helpers.py
# magics: line:run
# ---
from pylab import *
exec(source)
%run helpers.py
