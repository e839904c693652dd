# names: factor, offset
# kind: query
# ---
df.eval("""c = a * @factor
d = c + @offset""")
