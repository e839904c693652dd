# %% [markdown]
# expect: equivalent
# A classifier, then a business rule on its probabilities.

# %%
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

# %%
THRESHOLD = 0.4
DATA_PATH = "points.csv"
rng = np.random.default_rng(0)
raw = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
raw["label"] = (raw["a"] + 0.5 * raw["b"] + rng.normal(0, 0.3, size=300) > 0).astype(int)
raw.to_csv(DATA_PATH, index=False)

# %%
df = pd.read_csv(DATA_PATH)
df["ab"] = df["a"] * df["b"]
X = df[["a", "b", "ab"]]
y = df["label"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
clf = LogisticRegression()
clf.fit(X_train, y_train)
proba = clf.predict_proba(X_test)[:, 1]

# %%
decisions = df.loc[X_test.index, ["a", "b"]].assign(proba=proba)
decisions["accept"] = decisions["proba"] >= THRESHOLD
