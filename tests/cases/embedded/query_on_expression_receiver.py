# names: b
# kind: query
# ---
df[df.a > 0].query(expr="c == @b")
