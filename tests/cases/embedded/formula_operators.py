# names: g, h
# kind: formula
# ---
smf.ols("y ~ a:b + (c + d)**2 + a*b - 1 + a/b + g(a):h(b)", df)
