# %% [markdown]
# The model is refitted on all rows; it then scores a grid made up for a plot (not data), and
# the first 20 rows (scoring takes every row given); a plot and an error are drawn from those.

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge

# %%
X, y = make_regression(n_samples=100, n_features=1, noise=5, random_state=0)
ridge = Ridge(alpha=1.0)
ridge.fit(X[:50], y[:50])
ridge.fit(X, y)

# %%
grid = np.linspace(-3, 3, 20).reshape(-1, 1)
curve = ridge.predict(grid)
first = X[:20]
first_pred = ridge.predict(first)
line = plt.plot(first, first_pred)
error = np.abs(first_pred - y[:20])
