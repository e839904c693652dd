# %% [markdown]
# expect: equivalent
# The columns the model takes are chosen from the rows by a statistic of each (`X.std()`, a
# Series; the threshold sits between f3's spread over all rows and over the held-out ones).
# Training records the choice (an Index) and the statistic; the artifact keeps both as plain
# values, and predict() reads them back as pandas objects.

# %%
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

# %%
DATA_PATH = "rows.csv"
rng = np.random.default_rng(3)
raw = pd.DataFrame({f"f{i}": rng.normal(scale=0.2 + 0.3 * i, size=400) for i in range(6)})
raw["label"] = (raw["f3"] + raw["f5"] > 0).astype(int)
raw.to_csv(DATA_PATH, index=False)

# %%
df = pd.read_csv(DATA_PATH)
X = df.drop(columns=["label"])
y = df["label"]
varied = X.columns[X.std() > 0.98]  # f3 (1.007 over all rows, 0.965 held out), f4, f5
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
clf = LogisticRegression().fit(X_train[varied], y_train)
proba_test = clf.predict_proba(X_test[varied])[:, 1]
