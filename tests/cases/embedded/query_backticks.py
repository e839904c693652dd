# names: lim
# kind: query
# ---
df.query("`col a` > @lim")
