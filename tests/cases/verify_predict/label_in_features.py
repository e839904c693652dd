# %% [markdown]
# expect: unverified: no predict.py
# A feature is computed from the label: scoring new rows would need the target.

# %%
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

# %%
DATA_PATH = "points.csv"
rng = np.random.default_rng(0)
raw = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
raw["label"] = (raw["a"] - raw["b"] > 0).astype(int)
raw.to_csv(DATA_PATH, index=False)

# %%
df = pd.read_csv(DATA_PATH)
df["a_when_positive"] = df["a"] * df["label"]
X = df[["a", "b", "a_when_positive"]]
y = df["label"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
clf = LogisticRegression()
clf.fit(X_train, y_train)
proba = clf.predict_proba(X_test)[:, 1]
