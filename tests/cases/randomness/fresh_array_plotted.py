# Filling an array the cell itself made, then only plotting it, is still plot-only.
# expect: none
# %%
import numpy as np
import matplotlib.pyplot as plt
# %%
walk = np.zeros(200)
for i in range(1, 200):
    walk[i] = np.random.normal(walk[i - 1], 1)
plt.plot(walk)
