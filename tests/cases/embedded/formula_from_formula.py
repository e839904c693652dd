# names: transform
# kind: formula
# ---
sm.OLS.from_formula("y ~ transform(x)", data=df)
