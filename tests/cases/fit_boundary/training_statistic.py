# %% [markdown]
# Held-out rows are filled with a statistic of the training rows: scoring would need it saved.
# The model also scores its own training rows, which is evaluation, not scoring.

# %%
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

# %%
df = pd.read_csv("clients.csv")
X = df[["age", "balance"]]
y = df["left"]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
X_train = X_train.fillna(X_train.median())
X_test = X_test.fillna(X_train.median())

# %%
model = LogisticRegression().fit(X_train, y_train)
train_score = model.predict(X_train)
predicted = model.predict(X_test)
