# %% [markdown]
# An object given its data when built, then fitted with no argument: nothing says which rows
# a prediction would take.

# %%
import pandas as pd
from smoothing import Smoother

# %%
series = pd.read_csv("sales.csv")["value"]
smoother = Smoother(series, window=7)
smoother.fit()
