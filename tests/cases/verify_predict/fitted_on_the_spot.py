# %% [markdown]
# expect: equivalent
# A scaler and a PCA fitted on the spot (never bound to a name), then a clustering: train
# names both to save them, and predict() applies them (transform) before the model. Checked
# against the notebook's own fitted model, applied to its reduced rows.

# %%
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

# %%
DATA_PATH = "blobs.csv"
rng = np.random.default_rng(1)
centres = rng.normal(scale=5, size=(4, 5))
rows = centres[rng.integers(0, 4, 300)] + rng.normal(size=(300, 5))
raw = pd.DataFrame(rows, columns=[f"x{i}" for i in range(5)])
raw.to_csv(DATA_PATH, index=False)

# %%
df = pd.read_csv(DATA_PATH)
scaled = StandardScaler().fit_transform(df)
reduced = PCA(n_components=2).fit_transform(scaled)
kmeans = KMeans(n_clusters=4, n_init=4, random_state=0)
kmeans.fit(reduced)
inertia = float(kmeans.inertia_)
