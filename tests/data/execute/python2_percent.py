# ---
# jupyter:
#   kernelspec:
#     display_name: Python 2
#     language: python
#     name: python2
# ---

# %% [markdown]
# # Written for Python 2

# %%
import sys

print(sys.version_info[0])
