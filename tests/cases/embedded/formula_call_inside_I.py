# names: double_it
# kind: formula
# ---
smf.ols("y ~ I(double_it(x) + 1)", df)
