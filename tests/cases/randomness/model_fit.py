# Random data that reaches a model fit is reported, even if a plot reads it as well.
# expect: 1 np.random.rand
# %%
import numpy as np
import matplotlib.pyplot as plt
from sklearn.linear_model import LinearRegression
# %%
X = np.random.rand(100, 3)
y = X.sum(axis=1)
plt.scatter(X[:, 0], y)
# %%
model = LinearRegression().fit(X, y)
print(model.coef_)
