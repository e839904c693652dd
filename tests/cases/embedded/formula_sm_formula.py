# names: scale_it
# kind: formula
# ---
sm.formula.logit("y ~ x + scale_it(z)", df).fit()
