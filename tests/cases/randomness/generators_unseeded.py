# NumPy generators made without a seed are unseeded whatever np.random.seed says.
# expect: 1 np.random.default_rng
# expect: 2 np.random.PCG64
# expect: 3 RandomState
# %%
import numpy as np
from numpy.random import RandomState
from sklearn.linear_model import LinearRegression
np.random.seed(0)
# %%
rng = np.random.default_rng()
X = rng.normal(size=(10, 2))
model = LinearRegression().fit(X, np.arange(10))
# %%
gen = np.random.Generator(np.random.PCG64())
noise = gen.standard_normal(10)
np.save("noise.npy", noise)
# %%
state = RandomState()
values = state.rand(5)
values.tofile("values.bin")
