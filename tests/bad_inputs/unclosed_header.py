# ---
# jupyter:
#   kernelspec:
#     name: python3

# %%
x = 1
