# names: h
# kind: formula
# ---
smf.ols("y ~ `odd col` + h(x)", df)
