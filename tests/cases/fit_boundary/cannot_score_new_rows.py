# %% [markdown]
# DBSCAN labels the rows it is fitted on; it has no predict for new rows.

# %%
import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.preprocessing import StandardScaler

# %%
points = np.loadtxt("points.txt")
scaled = StandardScaler().fit_transform(points)
db = DBSCAN(eps=0.3, min_samples=10)
db.fit(scaled)
labels = db.labels_
