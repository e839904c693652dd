# names: 
# ---
ne.evaluate("a + b", local_dict={"a": x, "b": y})
