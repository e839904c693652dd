# .sample of modules and of other libraries' objects is not pandas': random.sample is NB109's own.
# expect: 4 random.sample
# %%
import random
import pandas as pd
import pymc as pm
from sklearn.mixture import GaussianMixture
# %%
gm = GaussianMixture(2, random_state=0).fit([[0.0], [1.0], [5.0], [6.0]])
X_new, y_new = gm.sample(6)
gm.fit(X_new)
# %%
class Memory:
    def __init__(self):
        self.items = []

    def sample(self, k):
        return self.items[:k]

memory = Memory()
batch = memory.sample(5)
memory.items.extend(batch)
# %%
with pm.Model():
    trace = pm.sample(1000, random_seed=1)
trace.to_netcdf("trace.nc")
# %%
chosen = random.sample(range(100), 10)
pd.Series(chosen).to_csv("chosen.csv")
