# ---
# jupyter:
#   kernelspec: 5
#   jupytext:
#     formats: 7
# ---

# %%
x = 1
