# names: 
# ---
smf.ols(f"y ~ {features}", df)
