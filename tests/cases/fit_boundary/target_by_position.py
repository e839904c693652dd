# %% [markdown]
# The label is the last column, taken by position, and the features are the others.

# %%
import pandas as pd
from sklearn.linear_model import Ridge

# %%
wine = pd.read_csv("wine.csv")
X = wine.iloc[:, :-1]
y = wine.iloc[:, -1]
model = Ridge().fit(X, y)
