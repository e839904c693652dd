# defines: local
# uses: df, items, model, cache, frame
# mutations: df:item:reads, items:method:append, model:attr, cache:del-item:reads, frame:inplace, df:item, local:method:append:bound
# ---
df["a"] = df["a"] * 2
items.append(1)
model.threshold = 0.5
del cache["old"]
frame.dropna(inplace=True)
df["c"] = df["a"] + df["b"]
local = []
local.append(1)
