# names: a, b
# kind: expression
# ---
import numexpr as nx
out = nx.evaluate("a + b")
