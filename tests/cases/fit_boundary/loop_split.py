# %% [markdown]
# Rows split by a splitter's loop (one split); the data read through a notebook function whose
# folder is a computed path; a column selection that carries the label along.

# %%
import os

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import StratifiedShuffleSplit

HOUSING_PATH = os.path.join("datasets", "housing")


def load_housing(path=HOUSING_PATH):
    return pd.read_csv(os.path.join(path, "housing.csv"))


# %%
housing = load_housing()
housing = housing[["median_income", "rooms", "median_house_value"]]
housing["income_cat"] = pd.cut(housing["median_income"], bins=[0, 3, 6, np.inf], labels=[1, 2, 3])
split = StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=42)
for train_index, test_index in split.split(housing, housing["income_cat"]):
    train_set = housing.loc[train_index]
    test_set = housing.loc[test_index]

# %%
X = train_set[["median_income", "rooms"]]
y = train_set["median_house_value"]
model = LinearRegression().fit(X, y)
predictions = model.predict(test_set[["median_income", "rooms"]])
