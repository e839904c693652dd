# An imported function named for plotting is a plot (here from a module beside the notebook).
# expect: none
# %%
import numpy as np
from separation_plot import separation_plot
# %%
D = np.array([0, 1, 1, 0])
p = np.random.rand(4)
separation_plot(p, D)
