# defines: squares, pairs, n
# uses: range, limit, rows, offset, len, print, x, k
# ---
squares = [x * x for x in range(limit)]  # x stays inside the comprehension
pairs = {k: v + offset for k, v in rows}  # offset is read from outside
n = len([r for r in rows if r])
print(x, k)  # not the comprehension's x and k: these come from outside the cell
