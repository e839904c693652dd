# %% [markdown]
# expect: equivalent
# A model is fitted and saved, but the notebook never scores rows with it: predict() is
# checked against the notebook's own fitted model, applied to its rows after the fit.

# %%
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

# %%
DATA_PATH = "points.csv"
rng = np.random.default_rng(0)
raw = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
raw["label"] = (raw["a"] - raw["b"] > 0).astype(int)
raw.to_csv(DATA_PATH, index=False)

# %%
df = pd.read_csv(DATA_PATH)
X = df[["a", "b"]]
y = df["label"]
clf = LogisticRegression()
clf.fit(X, y)
coefficients = clf.coef_.ravel().tolist()
