# defines: np, rate, label, f, Model, df, total, row
# uses: pd, print, data
# deletes: row
# bindings: np:import, rate:assign, label:assign, f:def, Model:class, df:assign
# displays: rate:str, label:str, df:rows
# ---
import numpy as np
rate = 0.25
label = "price"
total = 0
for row in data:
    total = total + 1
del row

def f(x):
    return x * rate

class Model:
    pass

df = pd.read_csv("data.csv")
print(rate, label)
df[df.price > 0].head()
