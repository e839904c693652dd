# names: np, stats
# kind: formula
# ---
smf.ols("y ~ np.power(x, 2) + stats.zscore(z)", df)
