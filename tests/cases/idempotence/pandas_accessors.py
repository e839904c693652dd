# setup
import pandas as pd
t = pd.Series([" Ab ", "c,d", "e", None])
parts = pd.Series([["a", "b"], ["c"]])
when = pd.to_datetime(pd.Series(["2020-01-02 10:30", "2021-03-04 00:00", None]))
utc = when.dt.tz_localize("UTC")
gap = pd.Series(pd.to_timedelta(["1s", "2s"]))
c = pd.Series(pd.Categorical(["a", "b", "a"], categories=["a", "b", "q"]))
df = pd.DataFrame({"num": [3.0, None, 1.0], "text": ["a", "b", "c"]})
s = df["num"].copy()
prices = pd.DataFrame({"p": ["$1.5", "$2"]})
# === methods.str.lower: yes
t = t.str.lower()
# === methods.str.upper: yes
t = t.str.upper()
# === methods.str.strip: yes
t = t.str.strip()
# === methods.str.title: yes
t = t.str.title()
# === methods.str.zfill: yes
t = t.str.zfill(5)
# === methods.str.swapcase: no
t = t.str.swapcase()
# === methods.str.replace: yes
t = t.str.replace(",", ";")
# === methods.str.replace: no (the replacement holds the pattern)
t = t.str.replace("e", "ee")
# === methods.str.replace: no (a conversion after it: .str fails the second time)
prices["p"] = prices["p"].str.replace("$", "").astype(float)
# === methods.str.split: no (the second run splits lists)
t = t.str.split(",")
# === methods.str.split: yes (the first piece kept)
t = t.str.split(",").str[0]
# === methods.str.rsplit: no
t = t.str.rsplit(",")
# === methods.str.join: no
parts = parts.str.join(",")
# === methods.str.len: no
t = t.str.len()
# === methods.str.contains: no
t = t.str.contains("e")
# === methods.str.startswith: no
t = t.str.startswith("e")
# === methods.str.cat: no
t = t.str.cat(sep="|")
# === methods.str.get_dummies: no
t = t.str.get_dummies(",")
# === methods.dt.normalize: yes
when = when.dt.normalize()
# === methods.dt.floor: yes
when = when.dt.floor("D")
# === methods.dt.tz_convert: yes
utc = utc.dt.tz_convert("UTC")
# === methods.dt.tz_localize: no
when = when.dt.tz_localize("UTC")
# === methods.dt.strftime: no
when = when.dt.strftime("%Y")
# === methods.dt.total_seconds: no
gap = gap.dt.total_seconds()
# === methods.cat.remove_unused_categories: yes
c = c.cat.remove_unused_categories()
# === methods.cat.set_categories: yes
c = c.cat.set_categories(["a", "b", "z"])
# === methods.cat.add_categories: no
c = c.cat.add_categories(["z"])
# === attributes.values: no
s = s.values
# === attributes.values: yes (stored back into the table)
df["num"] = df["num"].values
# === attributes.T: no
df = df.T
# === attributes.dt.year: no
when = when.dt.year
# === attributes.dt.month: no
when = when.dt.month
# === attributes.dt.day: no
when = when.dt.day
# === attributes.dt.hour: no
when = when.dt.hour
# === attributes.dt.dayofweek: no
when = when.dt.dayofweek
# === attributes.dt.weekday: no
when = when.dt.weekday
# === attributes.dt.date: no
when = when.dt.date
# === attributes.dt.days: no
gap = gap.dt.days
# === attributes.cat.codes: no
c = c.cat.codes
# === subscripts.mask: yes
df = df[df.num > 1]
# === subscripts.mask: yes (in .loc, with columns)
df = df.loc[df.num.notnull(), ["num"]]
# === subscripts.mask by a statistic: no
s = s[s < s.max()]
# === subscripts.labels: yes
df = df[["num", "text"]]
# === subscripts.all: yes
df = df.loc[:, :]
# === subscripts.head slice: yes
df = df.iloc[:2]
# === subscripts.label slice: yes
ts = pd.Series(range(4), index=pd.date_range("2020-01-01", periods=4))
# ---
ts = ts["2020-01-02":"2020-01-03"]
# === subscripts.label: no
df = df["num"]
# === subscripts.tail slice: no
df = df[1:]
# === subscripts.negative end slice: no
df = df.iloc[:-1]
# === subscripts.reversing slice: no
df = df[::-1]
# === subscripts.positions: no
df = df.iloc[[0, 2]]
# === subscripts.position: no
df = df.iloc[0]
# === subscripts.str[0]: yes
t = t.str[0]
# === subscripts.str[:n]: yes
t = t.str[:2]
# === subscripts.str[i]: no
t = t.str[1]
# === subscripts.str[n:]: no
t = t.str[1:]
