# A draw bound to a name that is read only by plotting calls, here and in a later cell.
# expect: none
# %%
import numpy as np
import matplotlib.pyplot as plt
# %%
x = np.random.randn(50)
y = 2 * x + np.random.randn(50)
plt.scatter(x, y)
# %%
plt.plot(np.sort(x), label="sorted")
plt.legend()
