# %% [markdown]
# A scoring call that returns a tuple (`return_std`): its first item is the prediction, so
# predict() names its column after it.

# %%
import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.model_selection import train_test_split

# %%
X = np.linspace(0, 10, 200).reshape(-1, 1)
y = np.sin(X).ravel()
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
gp = GaussianProcessRegressor()
gp.fit(X_train, y_train)

# %%
mean_prediction, std_prediction = gp.predict(X_test, return_std=True)
