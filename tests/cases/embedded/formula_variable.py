# names: 
# ---
smf.ols(formula, data=df)
