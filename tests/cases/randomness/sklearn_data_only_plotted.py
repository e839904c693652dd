# Data made by scikit-learn without random_state and only plotted is plot-only.
# expect: none
# %%
import matplotlib.pyplot as plt
from sklearn.datasets import make_blobs
# %%
X, y = make_blobs(n_samples=300, centers=3)
plt.scatter(X[:, 0], X[:, 1], c=y)
