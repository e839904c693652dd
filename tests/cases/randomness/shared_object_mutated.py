# Storing random values into an object made in another cell may change what other names hold.
# expect: 1 np.random.rand
# %%
import numpy as np
import matplotlib.pyplot as plt
grid = np.zeros(10)
view = grid
# %%
grid[:] = np.random.rand(10)
plt.plot(grid)
# %%
total = view.sum() * 2
np.save("total.npy", total)
