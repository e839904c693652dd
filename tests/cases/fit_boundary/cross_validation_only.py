# %% [markdown]
# The model is only cross-validated: no fitted object is left to save.

# %%
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score

# %%
X, y = load_diabetes(return_X_y=True)
scores = cross_val_score(Ridge(alpha=1.0), X, y, cv=5)
print(scores.mean())
