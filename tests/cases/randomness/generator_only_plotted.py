# An unseeded generator whose draws are only plotted is plot-only as well.
# expect: none
# %%
import numpy as np
import matplotlib.pyplot as plt
# %%
rng = np.random.default_rng()
plt.hist(rng.normal(size=1000), bins=40)
# %%
seeded = np.random.default_rng(42)
values = seeded.normal(size=10)
np.save("values.npy", values)
