# %% [markdown]
# Models fitted inside a generator expression: the name `clf` ends with it, so no name keeps a
# fit to save; predict is refused, naming the statement.

# %%
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

# %%
X, y = make_classification(n_samples=200, random_state=0)
models = (LogisticRegression(), DecisionTreeClassifier())
models = (clf.fit(X, y) for clf in models)
scores = [model.score(X, y) for model in models]
