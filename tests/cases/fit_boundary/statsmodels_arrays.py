# %% [markdown]
# Rows made in the notebook from a seeded generator; statsmodels OLS on arrays; no prediction.

# %%
import numpy as np
import statsmodels.api as sm

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(200, 2))
noise = rng.normal(size=200)
y = x @ np.array([1.0, 2.0]) + noise

# %%
X = sm.add_constant(x)
results = sm.OLS(y, X).fit()
params = results.params
