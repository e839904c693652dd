# %% [markdown]
# Data work only: nothing is fitted.

# %%
import pandas as pd

# %%
sales = pd.read_csv("sales.csv")
monthly = sales.groupby("month")["revenue"].sum()
monthly.plot()
