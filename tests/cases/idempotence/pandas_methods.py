# setup
import pandas as pd
df = pd.DataFrame({
    "num": [3.0, None, 1.0, 2.0],
    "text": [" Ab ", "c,d", "e", None],
    "k": ["x", "y", "x", "y"],
})
s = df["num"].copy()
t = df["text"].copy()
k = df["k"].copy()
w = pd.Series(["ab", "c"])
lists = pd.Series([[1, 2], [3]])
big = pd.Series(range(100))
other = pd.DataFrame({"k": ["x", "y"], "z": [1, 2]})
other2 = pd.DataFrame({"z": [1, 2, 3, 4]})
pt = pd.DataFrame({"k": ["x", "x", "y"], "j": ["a", "b", "a"], "n": [1, 2, 3]})
wide = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
ms = pd.Series([1, 2, 3, 4], index=pd.MultiIndex.from_product([["x", "y"], ["a", "b"]]))
def helper(frame):
    return frame
# === methods.fillna: yes
df = df.fillna(0)
# === methods.fillna: yes (in place, a column from its own mean)
df["num"].fillna(df["num"].mean(), inplace=True)
# === methods.ffill: yes
s = s.ffill()
# === methods.bfill: yes
s = s.bfill()
# === methods.interpolate: yes
s = s.interpolate()
# === methods.dropna: yes
df = df.dropna()
# === methods.dropna: yes (in place)
df.dropna(inplace=True)
# === methods.drop_duplicates: yes
df = df.drop_duplicates(subset=["k"])
# === methods.sort_values: yes
df = df.sort_values("num")
# === methods.sort_values: yes (in place)
df.sort_values("num", inplace=True)
# === methods.sort_index: yes
df.sort_index(ascending=False, inplace=True)
# === methods.reset_index: no
df = df.reset_index()
# === methods.reset_index: yes (drop=True)
df = df.reset_index(drop=True)
# === methods.set_index: no
df = df.set_index("k")
# === methods.set_index: no (append=True)
df = df.set_index("k", append=True, drop=False)
# === methods.set_index: yes (drop=False)
df = df.set_index("k", drop=False)
# === methods.rename: yes
df = df.rename(columns={"num": "number"})
# === methods.rename: no (a new name is renamed again)
df = df.rename(columns={"num": "k", "k": "key"})
# === methods.rename: unknown (a function)
df = df.rename(columns=lambda c: c + "_x")
# === methods.replace: yes
df = df.replace("x", "z")
# === methods.replace: yes (many to one of them)
k = k.replace(["x", "y"], "x")
# === methods.replace: no (what it puts in is replaced again)
t = t.replace({"e": "c,d", "c,d": "f"})
# === methods.astype: yes
s = s.astype(str)
# === methods.infer_objects: yes
df = df.infer_objects()
# === methods.convert_dtypes: yes
df = df.convert_dtypes()
# === methods.copy: yes
df = df.copy()
# === methods.round: yes
s = s.round(1)
# === methods.abs: yes
s = s.abs()
# === methods.clip: yes
s = s.clip(lower=0, upper=2)
# === methods.clip: unknown (bounds from its own values)
s = s.clip(upper=s.quantile(0.5))
# === methods.head: yes
df = df.head(2)
# === methods.tail: yes
df = df.tail(2)
# === methods.nlargest: yes
s = s.nlargest(2)
# === methods.nsmallest: yes
s = s.nsmallest(2)
# === methods.query: yes
df = df.query("num > 1")
# === methods.filter: yes
df = df.filter(items=["num", "k"])
# === methods.drop: no
df = df.drop(columns=["text"])
# === methods.drop: no (in place)
df.drop("text", axis=1, inplace=True)
# === methods.drop: yes (errors="ignore")
df = df.drop(columns=["text"], errors="ignore")
# === methods.drop: yes (the rows a condition selects)
df = df.drop(df[df.num > 2].index)
# === methods.drop: yes (the columns a condition selects)
df.drop(df.columns[df.isnull().mean() > 0.2], axis=1, inplace=True)
# === methods.drop: yes (under a membership test)
if "text" in df.columns:
    df = df.drop(columns="text")
# === methods.pop: no
df.pop("text")
# === methods.insert: no
df.insert(0, "one", 1)
# === methods.explode: yes
lists = lists.explode()
# === methods.align: yes
df, other2 = df.align(other2, join="left", axis=0)
# === methods.transpose: no
df = df.transpose()
# === methods.pivot: no
pt = pt.pivot(index="k", columns="j", values="n")
# === methods.pivot_table: no
pt = pt.pivot_table(index="k", columns="j", values="n")
# === methods.melt: no
df = df.melt(id_vars=["k"])
# === methods.stack: no
wide = wide.stack()
# === methods.unstack: no
ms = ms.unstack()
# === methods.merge: no
df = df.merge(other, on="k")
# === methods.join: no
df = df.join(other2)
# === methods.assign: yes
df = df.assign(double=df.num * 2)
# === methods.assign: unknown (a column from itself)
df = df.assign(num=lambda f: f.num * 2)
# === methods.apply: unknown
s = s.apply(lambda v: v * 2)
# === methods.apply: yes (a known function)
t = t.apply(str)
# === methods.apply: no (a known function that changes kind)
w = w.apply(len)
# === methods.map: no (a mapping)
k = k.map({"x": 1, "y": 2})
# === methods.map: yes (a known function)
s = s.map(float)
# === methods.map: unknown
s = s.map(lambda v: v + 1)
# === methods.applymap: unknown
df = df.applymap(lambda v: v)
# === methods.transform: unknown
s = s.transform(lambda v: v + 1)
# === methods.pipe: unknown
df = df.pipe(helper)
# === methods.agg: no
s = s.agg(["sum", "mean"])
# === methods.aggregate: no
s = s.aggregate(["sum", "mean"])
# === methods.sample: no
big = big.sample(frac=0.5)
# === methods.shift: no
s = s.shift(1)
# === methods.diff: no
s = s.diff()
# === methods.cumsum: no
s = s.cumsum()
# === methods.cumprod: no
s = s.cumprod()
# === methods.pct_change: no
s = s.pct_change()
# === methods.cummax: yes
s = s.cummax()
# === methods.cummin: yes
s = s.cummin()
# === methods.rank: yes
s = s.rank()
# === methods.to_frame: no
s = s.to_frame()
# === methods.to_numpy: no (the second run has an array)
s = s.to_numpy()
# === methods.to_numpy: yes (stored back into the table)
df["num"] = df["num"].to_numpy()
# === methods.to_list: no
s = s.to_list()
# === methods.unique: no (numbers: an array)
s = s.unique()
# === methods.value_counts: no
k = k.value_counts()
# === methods.count: no
s = s.count()
# === methods.sum: unknown (a column's is kept, a table's is summarised again)
s = s.sum()
# === methods.mean: unknown (a column's is kept, a table's is summarised again)
s = s.mean()
# === methods.median: no
s = s.median()
# === methods.std: no
s = s.std()
# === methods.var: no
s = s.var()
# === methods.min: unknown (a column's is kept, a table's is summarised again)
s = s.min()
# === methods.max: unknown (a column's is kept, a table's is summarised again)
s = s.max()
# === methods.nunique: no
k = k.nunique()
# === methods.describe: no
s = s.describe()
