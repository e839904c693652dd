# names: 
# ---
smf.ols("y ~ f(x", df)
