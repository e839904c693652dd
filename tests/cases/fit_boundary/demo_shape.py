# %% [markdown]
# The demo's shape: a frame read from a file, feature steps, the label taken by column, a split,
# one classifier, a metric, business rules on the predicted probabilities.

# %%
import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

DATA_PATH = "data/applicants.csv"
THRESHOLD = 0.2

# %%
df = pd.read_csv(DATA_PATH)
df.head()

# %%
df["income"] = df["income"] / 1000
df["debt_to_income"] = df["debt"] / df["income"]
print("default rate", df["default"].mean())

# %%
FEATURES = ["income", "debt_to_income"]
X = df[FEATURES]
y = df["default"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

# %%
model = GradientBoostingClassifier(random_state=0)
model.fit(X_train, y_train)
proba = model.predict_proba(X_test)[:, 1]
auc = roc_auc_score(y_test, proba)


# %%
def decide(frame, p, threshold=THRESHOLD):
    out = frame.copy()
    out["approved"] = p < threshold
    return out


scored = decide(df.loc[X_test.index], proba)
scored["approved"].mean()
