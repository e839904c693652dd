# names: a, b, c
# kind: expression
# ---
ne.evaluate("where(a > b, a, 2 * c)")
