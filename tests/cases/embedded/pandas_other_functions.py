# names: 
# ---
pd.read_csv("a + b")
pd.to_datetime("x ~ y")
