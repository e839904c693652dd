# One finding names only the draws of the cell whose values are used.
# expect: 1 np.random.normal
# %%
import numpy as np
import matplotlib.pyplot as plt
from sklearn.cluster import KMeans
# %%
plt.hist(np.random.rand(1000))
points = np.random.normal(size=(100, 2))
clusters = KMeans(3, random_state=0, n_init=10).fit_predict(points)
