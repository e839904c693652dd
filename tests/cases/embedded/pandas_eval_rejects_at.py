# names: 
# ---
pd.eval("@a + 1")
