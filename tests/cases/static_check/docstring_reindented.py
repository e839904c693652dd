# %% [markdown]
# A function defined inside a loop goes into a generated function's body, one level deeper:
# black re-indents its docstring's lines to the new depth, which changes the string.

# %%
import numpy as np

values = np.arange(3)

# %%
for step in range(2):
    def shift(x):
        """Shift x by the step.
        Used once per step.
        """
        return x + step
    values = shift(values)
