# A statistic of random values shown as the cell's result is a result too.
# expect: 1 np.random.normal
# %%
import numpy as np
# %%
samples = np.random.normal(loc=3, scale=2, size=10000)
samples.std()
