# Draws made inside a function are followed to where the function's result goes.
# expect: 1 np.random.randn
# %%
import numpy as np
from sklearn.linear_model import LinearRegression
# %%
def noisy(n):
    return np.arange(n) + np.random.randn(n)

def colours(n):
    return [np.random.choice(["red", "blue"]) for _ in range(n)]
# %%
import matplotlib.pyplot as plt
plt.bar(range(3), [1, 2, 3], color=colours(3))
# %%
model = LinearRegression().fit(noisy(10).reshape(-1, 1), np.arange(10))
