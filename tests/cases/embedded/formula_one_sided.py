# names: f
# kind: formula
# ---
dmatrix("~ 0 + C(group) + f(x)", data=df)
