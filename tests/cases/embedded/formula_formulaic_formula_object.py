# names: my
# kind: formula
# ---
Formula("y ~ a + b + my(c)")
