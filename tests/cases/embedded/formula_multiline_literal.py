# names: f, g
# kind: formula
# ---
smf.ols("""y ~ f(x)
    + g(z)""", df)
