# df.sample(5) to look at a few rows is a display; random_state= or np.random.seed make it seeded.
# expect: none
# %%
import numpy as np
import pandas as pd
# %%
df = pd.read_csv("data.csv")
df.sample(5)
# %%
train = df.sample(frac=0.8, random_state=1)
train.to_csv("train.csv")
# %%
np.random.seed(0)
# %%
valid = df.sample(frac=0.2)
valid.to_csv("valid.csv")
