# names: 
# ---
smf.ols("y ~ C(g, Treatment(reference='a')) + I(x**2) + Q('odd name') + bs(x, df=4) + standardize(z) + scale(w)", df)
