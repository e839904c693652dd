# %% [markdown]
# A feature selector learns from the label, yet it is no predictor: predict applies its
# `transform` (it has no `predict`). The notebook never applies it to rows.

# %%
import pandas as pd
from sklearn.feature_selection import SequentialFeatureSelector
from sklearn.linear_model import Ridge

# %%
df = pd.read_csv("diabetes.csv")
X = df.drop(columns=["target"])
y = df["target"]

# %%
selector = SequentialFeatureSelector(Ridge(), n_features_to_select=2).fit(X, y)
print(selector.get_support())
