# names: x
# kind: expression
# ---
numexpr.evaluate("sin(x)**2 + 1")
