# A function of the notebook that only plots its argument: passing it random values is plot-only.
# expect: none
# %%
import numpy as np
import matplotlib.pyplot as plt
# %%
def ecdf(values):
    xs = np.sort(values)
    ys = np.arange(1, len(xs) + 1) / len(xs)
    return xs, ys

def ecdf_plot(values, name="value"):
    xs, ys = ecdf(values)
    plt.step(xs, ys)
    plt.title(name)
# %%
ecdf_plot(np.random.randn(100), name="normal")
