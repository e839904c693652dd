# names: 
# ---
model.eval()
ast.literal_eval("@x")
r.eval("return 1", 0)
