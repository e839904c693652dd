# names: my_fn
# kind: formula
# ---
model_matrix("y ~ x | z + my_fn(w)", df)
