# names: 
# ---
df.query("email == '@home'")
