# %% [markdown]
# Several models fitted in a loop, each scored: as with models fitted one after the other, the
# last fit (the one the loop leaves bound to `m`) is saved, and the report says so.

# %%
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

# %%
X, y = make_classification(n_samples=200, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
models = {"lr": LogisticRegression(), "tree": DecisionTreeClassifier()}
scores = {}
for name, m in models.items():
    m.fit(X_train, y_train)
    scores[name] = m.score(X_test, y_test)
