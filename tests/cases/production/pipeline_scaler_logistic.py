# %% [markdown]
# A scikit-learn Pipeline fitted on a split; accuracy is the metric.

# %%
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# %%
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

# %%
clf = make_pipeline(StandardScaler(), LogisticRegression())
clf.fit(X_train, y_train)
pred = clf.predict(X_test)
print(f"accuracy: {accuracy_score(y_test, pred):.3f}")
