# names: np
# kind: formula
# ---
res = smf.ols(formula="y ~ np.log(x) + center(z)", data=df).fit()
