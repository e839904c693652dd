# names: g
# kind: formula
# ---
ols("y ~ g(x)", data=d)
