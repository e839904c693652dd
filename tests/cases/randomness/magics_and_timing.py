# Draws inside %time / %%timeit are followed like any other code.
# expect: 2 np.random.rand
# %%
import numpy as np
import matplotlib.pyplot as plt
# %%
%time x = np.random.rand(1000)
plt.hist(x)
# %%
%%time
y = np.random.rand(1000)
np.save("y.npy", y)
