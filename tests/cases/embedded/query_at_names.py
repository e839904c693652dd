# names: threshold, allowed
# kind: query
# ---
df.query("x > @threshold and y in @allowed")
