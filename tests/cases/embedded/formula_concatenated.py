# names: 
# ---
smf.ols("y ~ " + " + ".join(cols), df)
