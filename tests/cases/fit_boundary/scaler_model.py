# %% [markdown]
# A scaler fitted on the training rows and applied to both parts, then a classifier; the
# accuracy is only printed; the model also scores its own training rows.

# %%
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

# %%
frame = pd.read_parquet("rows.parquet")
features = pd.get_dummies(frame[["age", "city"]])
labels = frame["churned"]
X_train, X_test, y_train, y_test = train_test_split(features, labels, random_state=1)

# %%
scaler = StandardScaler()
scaler.fit(X_train)
X_train_s = scaler.transform(X_train)
X_test_s = scaler.transform(X_test)

# %%
clf = LogisticRegression().fit(X_train_s, y_train)
train_pred = clf.predict(X_train_s)
test_pred = clf.predict(X_test_s)
print(f"accuracy: {accuracy_score(y_test, test_pred):.3f}")
print(f"train accuracy: {accuracy_score(y_train, train_pred):.3f}")
