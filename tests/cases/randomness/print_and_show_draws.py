# Printing the drawn values, or showing them as the cell's result, is a demonstration.
# expect: none
# %%
import random
import numpy as np
from IPython.display import display
# %%
a = random.randint(1, 6)
print(a)
# %%
np.random.rand(3, 4)
# %%
m = np.random.randint(0, 10, size=(2, 2))
display(m)
m
