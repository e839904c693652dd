# %% [markdown]
# The columns the model takes are chosen from the rows (those that vary enough): which ones is
# learned by training, and predict reads the choice back; a batch never chooses again. A row
# mask computed from the rows (`recent`) stays the batch's own.

# %%
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

# %%
df = pd.read_csv("rows.csv")
recent = df["year"] > 2000
X = df[recent].drop(columns=["label"])
y = df[recent]["label"]
varied = X.columns[X.std() > 0.5]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
clf = LogisticRegression().fit(X_train[varied], y_train)
pred = clf.predict(X_test[varied])
