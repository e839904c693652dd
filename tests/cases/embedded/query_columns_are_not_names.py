# names: 
# ---
df.query("a > b and c == 'x'")
