# magics: cell:writefile
# ---
%%writefile helpers.py
def load(path):
    return open(path).read()
