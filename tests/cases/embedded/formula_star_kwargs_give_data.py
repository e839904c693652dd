# names: f
# kind: formula
# ---
smf.ols("y ~ x + f(z)", **kw)
