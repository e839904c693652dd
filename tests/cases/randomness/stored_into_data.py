# Random values stored into a column of data made elsewhere are kept: reported.
# expect: 2 np.random.randint
# %%
import numpy as np
import pandas as pd
# %%
data = pd.read_csv("titanic.csv")
# %%
missing = data["Age"].isnull()
data.loc[missing, "Age"] = np.random.randint(10, 60, size=missing.sum())
