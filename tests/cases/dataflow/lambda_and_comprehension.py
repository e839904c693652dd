# defines: square, evens, pairs, lookup
# uses: range, items, offset
# deferred: factor
# ---
square = lambda v: v * v * factor
evens = [n for n in range(10) if n % 2 == 0]
pairs = {k: v + offset for k, v in items}
lookup = {n: [m for m in range(n)] for n in evens}
