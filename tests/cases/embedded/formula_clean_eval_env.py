# names: 
# ---
smf.ols("y ~ f(x)", df, eval_env=-1)
