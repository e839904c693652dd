# pandas hidden behind exec still counts; an object of unseen origin is taken for pandas'
# only when n= or frac= is passed by name.
# expect: 1 frame.sample
# %%
exec("import pandas as pd")
frame = load_frame()
table = load_table()
# %%
rows = frame.sample(frac=0.5)
rows.to_csv("rows.csv")
other = table.sample(5)
other.to_csv("other.csv")
