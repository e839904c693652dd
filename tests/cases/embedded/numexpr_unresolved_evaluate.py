# names: 
# ---
evaluate("a + b")
