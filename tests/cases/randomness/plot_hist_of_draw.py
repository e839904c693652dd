# The example: random numbers drawn only to be plotted change no result.
# expect: none
# %%
import numpy as np
import matplotlib.pyplot as plt
# %%
plt.hist(np.random.rand(100000))
plt.title("uniform")
