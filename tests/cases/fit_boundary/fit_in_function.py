# %% [markdown]
# The model is fitted inside a function that returns only its score.

# %%
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression

# %%
X, y = load_wine(return_X_y=True)


def evaluate(features, labels):
    model = LogisticRegression(max_iter=500)
    model.fit(features, labels)
    return model.score(features, labels)


score = evaluate(X, y)
