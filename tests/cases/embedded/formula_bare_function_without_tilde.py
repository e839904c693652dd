# names: 
# ---
ols("hello g(x)", data=d)
