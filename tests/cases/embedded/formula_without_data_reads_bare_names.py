# names: x1, np, x2
# kind: formula
# ---
X = patsy.dmatrix("x1 + np.log(x2)")
