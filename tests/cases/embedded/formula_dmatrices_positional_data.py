# names: f
# kind: formula
# ---
y, X = dmatrices("y ~ f(x) + w", df, return_type="dataframe")
