# %% [markdown]
# A dataset bundle unpacked in one statement: the rows come in with its `data` field, so `X`
# is predict's input (not the bundle, which new rows never are). The notebook never scores rows.

# %%
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

# %%
iris = load_iris()
X, y = iris.data, iris.target

# %%
clf = LogisticRegression(max_iter=500)
clf.fit(X, y)
print(clf.coef_)
