# %% [markdown]
# A method's docstring whose closing quotes sit on their own line: black strips the whitespace
# before them, which changes the string (handson-ml2 chapter 12, `MyMomentumOptimizer`).

# %%
import numpy as np


# %%
class Doubler:
    def apply(self, x):
        """Double x
        """
        return 2 * x


# %%
values = Doubler().apply(np.arange(3))
