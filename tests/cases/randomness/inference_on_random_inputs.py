# A fitted model's predictions for random inputs, only plotted, change no result; its printed
# score on random inputs is a statistic, reported.
# expect: 2 np.random.rand
# %%
import numpy as np
import matplotlib.pyplot as plt
from sklearn.linear_model import LinearRegression
model = LinearRegression().fit(np.arange(20.0).reshape(10, 2), np.arange(10.0))
# %%
probe = np.random.normal(size=(50, 2))
plt.plot(model.predict(probe))
# %%
held_out = np.random.rand(10, 2)
print(model.score(held_out, np.arange(10.0)))
