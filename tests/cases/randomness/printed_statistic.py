# A printed mean of random draws is a Monte Carlo estimate: a result, reported.
# expect: 1 np.random.exponential
# %%
import numpy as np
# %%
N = 10000
print(np.mean([np.random.exponential(0.5) > 5 for i in range(N)]))
