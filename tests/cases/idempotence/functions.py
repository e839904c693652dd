# setup
import math
import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import (
    LabelEncoder,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    OneHotEncoder,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
    maxabs_scale,
    minmax_scale,
    normalize,
    robust_scale,
    scale,
)
from sklearn.utils import shuffle
df = pd.DataFrame({"num": [3.0, None, 1.0], "text": ["a", "b", "c"], "k": ["x", "y", "x"]})
s = df["num"].copy()
k = df["k"].copy()
stamps = pd.Series(["2020-01-02", "2021-03-04", None])
numbers = pd.Series(["1", "2.5", "x"])
spans = pd.Series(["1s", "2s"])
other = pd.DataFrame({"k": ["x", "y"], "z": [1, 2]})
pt = pd.DataFrame({"k": ["x", "x", "y"], "j": ["a", "b", "a"], "n": [1, 2, 3]})
idx = [3, 1, 2]
items = [3, 1, 2]
n = "3"
f = 2.75
b = 0
d = {"b": 2}
arr = np.array([4.0, 9.0, 1.0])
neg = np.array([-4.5, 9.25, np.inf, 0.5])
m = np.array([[1, 2, 3], [4, 5, 6]])
X = np.array([[1.0, 2.0], [3.0, 5.0], [4.0, 9.0]])
X0 = np.array([[0.0, 1.0], [2.0, 3.0]])
Xn = np.array([[1.0, np.nan], [3.0, 5.0], [np.nan, 9.0]])
labels = ["b", "a", "b"]
y = np.arange(20)
# === functions.int: yes
n = int(n)
# === functions.float: yes
f = float(f)
# === functions.bool: yes
b = bool(b)
# === functions.str: yes
n = str(n)
# === functions.list: yes
items = list(items)
# === functions.sorted: yes
items = sorted(items)
# === functions.tuple: yes
items = tuple(items)
# === functions.set: yes
items = set(items)
# === functions.frozenset: yes
items = frozenset(items)
# === functions.dict: yes
d = dict(d)
# === functions.abs: yes
f = abs(f)
# === functions.round: yes
f = round(f, 1)
# === functions.len: no
items = len(items)
# === functions.sum: no
items = sum(items)
# === functions.max: no
items = max(items)
# === functions.min: no
items = min(items)
# === functions.reversed: no
items = list(reversed(items))
# === functions.pandas.to_datetime: yes
stamps = pd.to_datetime(stamps)
# === functions.pandas.to_datetime: yes (with a format)
stamps = pd.to_datetime(stamps, format="%Y-%m-%d")
# === functions.pandas.to_datetime: yes (seconds since 1970, in a column)
when = pd.DataFrame({"t": [1600000000, 1600000100]})
# ---
when["t"] = pd.to_datetime(when["t"], unit="s")
# === functions.pandas.to_numeric: yes
numbers = pd.to_numeric(numbers, errors="coerce")
# === functions.pandas.to_timedelta: yes
spans = pd.to_timedelta(spans)
# === functions.pandas.Categorical: yes
k = pd.Categorical(k)
# === functions.pandas.DataFrame: yes
df = pd.DataFrame(df)
# === functions.pandas.Series: yes
s = pd.Series(s)
# === functions.pandas.Index: yes
idx = pd.Index(idx)
# === functions.pandas.concat: no
df = pd.concat([df, df.head(1)])
# === functions.pandas.merge: no
df = pd.merge(df, other, on="k")
# === functions.pandas.get_dummies: yes
df = pd.get_dummies(df)
# === functions.pandas.get_dummies: no (named columns)
df = pd.get_dummies(df, columns=["k"])
# === functions.pandas.cut: no
s = pd.cut(s, 2)
# === functions.pandas.qcut: no
s = pd.qcut(s, 2)
# === functions.pandas.melt: no
df = pd.melt(df, id_vars=["k"])
# === functions.pandas.pivot_table: no
pt = pd.pivot_table(pt, index="k", columns="j", values="n")
# === functions.pandas.isnull: no
s = pd.isnull(s)
# === functions.pandas.isna: no
s = pd.isna(s)
# === functions.pandas.notnull: no
s = pd.notnull(s)
# === functions.pandas.notna: no
s = pd.notna(s)
# === functions.numpy.array: yes
items = np.array(items)
# === functions.numpy.asarray: yes
items = np.asarray(items)
# === functions.numpy.sort: yes
arr = np.sort(arr)
# === functions.numpy.unique: yes
arr = np.unique(arr)
# === functions.numpy.abs: yes
neg = np.abs(neg)
# === functions.numpy.round: yes
neg = np.round(neg, 1)
# === functions.numpy.floor: yes
neg = np.floor(neg)
# === functions.numpy.ceil: yes
neg = np.ceil(neg)
# === functions.numpy.clip: yes
arr = np.clip(arr, 2, 5)
# === functions.numpy.sign: yes
neg = np.sign(neg)
# === functions.numpy.ravel: yes
m = np.ravel(m)
# === functions.numpy.squeeze: yes
row = m[:1]
# ---
row = np.squeeze(row)
# === functions.numpy.reshape: yes
arr = np.reshape(arr, (-1, 1))
# === functions.numpy.nan_to_num: yes
neg = np.nan_to_num(neg)
# === functions.numpy.maximum: yes
arr = np.maximum(arr, 5)
# === functions.numpy.minimum: yes
arr = np.minimum(arr, 5)
# === functions.numpy.float32: yes
f = np.float32(f)
# === functions.numpy.float64: yes
f = np.float64(f)
# === functions.numpy.int64: yes
f = np.int64(f)
# === functions.numpy.sqrt: no
arr = np.sqrt(arr)
# === functions.numpy.square: no
arr = np.square(arr)
# === functions.numpy.log: no
arr = np.log(arr)
# === functions.numpy.log1p: no
arr = np.log1p(arr)
# === functions.numpy.log10: no
arr = np.log10(arr)
# === functions.numpy.exp: no
arr = np.exp(arr)
# === functions.numpy.power: no
arr = np.power(arr, 2)
# === functions.numpy.cumsum: no
arr = np.cumsum(arr)
# === functions.numpy.cumprod: no
arr = np.cumprod(arr)
# === functions.numpy.diff: no
arr = np.diff(arr)
# === functions.numpy.transpose: no
m = np.transpose(m)
# === functions.numpy.expand_dims: no
arr = np.expand_dims(arr, 0)
# === functions.numpy.concatenate: no
arr = np.concatenate([arr, [1.0]])
# === functions.numpy.hstack: no
arr = np.hstack([arr, arr])
# === functions.numpy.vstack: no
arr = np.vstack([arr, arr])
# === functions.numpy.append: no
arr = np.append(arr, 1.0)
# === functions.numpy.roll: no
arr = np.roll(arr, 1)
# === functions.numpy.flip: no
arr = np.flip(arr)
# === functions.math.floor: yes
f = math.floor(f)
# === functions.math.ceil: yes
f = math.ceil(f)
# === functions.math.trunc: yes
f = math.trunc(f)
# === functions.math.fabs: yes
f = math.fabs(f)
# === functions.math.log: no
f = math.log(f)
# === functions.math.exp: no
f = math.exp(f)
# === functions.math.sqrt: no
f = math.sqrt(f)
# === functions.sklearn.preprocessing.scale: yes
X = scale(X)
# === functions.sklearn.preprocessing.minmax_scale: yes
X = minmax_scale(X)
# === functions.sklearn.preprocessing.maxabs_scale: yes
X = maxabs_scale(X)
# === functions.sklearn.preprocessing.robust_scale: yes
X = robust_scale(X)
# === functions.sklearn.preprocessing.normalize: yes
X = normalize(X)
# === functions.sklearn.utils.shuffle: no
y = shuffle(y)
# === functions.sklearn.preprocessing.StandardScaler.fit_transform: yes
X = StandardScaler().fit_transform(X)
# === functions.sklearn.preprocessing.MinMaxScaler.fit_transform: yes
scaler = MinMaxScaler()
X = scaler.fit_transform(X)
# === functions.sklearn.preprocessing.MaxAbsScaler.fit_transform: yes
X = MaxAbsScaler().fit_transform(X)
# === functions.sklearn.preprocessing.RobustScaler.fit_transform: yes
X = RobustScaler().fit_transform(X)
# === functions.sklearn.preprocessing.Normalizer.fit_transform: yes
X = Normalizer().fit_transform(X)
# === functions.sklearn.preprocessing.LabelEncoder.fit_transform: yes
labels = LabelEncoder().fit_transform(labels)
# === functions.sklearn.impute.SimpleImputer.fit_transform: yes
Xn = SimpleImputer().fit_transform(Xn)
# === functions.sklearn.impute.SimpleImputer.transform: yes
imputer = SimpleImputer()
imputer.fit(X0)
Xn = imputer.transform(Xn)
# === functions.sklearn.preprocessing.OneHotEncoder.fit_transform: no
X = OneHotEncoder(sparse_output=False).fit_transform(X)
# === functions.sklearn.preprocessing.PolynomialFeatures.fit_transform: no
X = PolynomialFeatures().fit_transform(X)
# === functions.sklearn.preprocessing.PolynomialFeatures.transform: no
poly = PolynomialFeatures()
poly.fit(X)
X = poly.transform(X)
# === functions.sklearn.preprocessing.StandardScaler.transform: no
scaler = StandardScaler()
scaler.fit(X0)
X = scaler.transform(X)
# === functions.sklearn.preprocessing.MinMaxScaler.transform: no
scaler = MinMaxScaler()
scaler.fit(X0)
X = scaler.transform(X)
# === functions.sklearn.preprocessing.MaxAbsScaler.transform: no
scaler = MaxAbsScaler()
scaler.fit(X0)
X = scaler.transform(X)
# === functions.sklearn.preprocessing.RobustScaler.transform: no
scaler = RobustScaler()
scaler.fit(X0)
X = scaler.transform(X)
# === functions.sklearn.preprocessing.LabelEncoder.transform: no
encoder = LabelEncoder()
encoder.fit(["a", "b"])
labels = encoder.transform(labels)
# === argument_methods.align: yes
df, other = df.align(other, join="left", axis=0)
# === argument_methods.merge: no
df = other.merge(df, on="k")
# === argument_methods.join: no
n = "-".join(n + "ab")
