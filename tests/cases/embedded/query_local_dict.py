# names: 
# ---
df.query("a > @x", local_dict={"x": 1})
