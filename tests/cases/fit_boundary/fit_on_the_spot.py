# %% [markdown]
# Objects fitted on the spot, never bound to a name: a scaler, then a PCA whose class name the
# notebook already uses. Train names them to save them; predict applies them (transform).

# %%
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

# %%
df = pd.read_csv("points.csv")
pca = PCA(n_components=3).fit(df)
scaled = StandardScaler().fit_transform(df)
reduced = PCA(n_components=2).fit_transform(scaled)

# %%
kmeans = KMeans(n_clusters=4, n_init=4, random_state=0)
kmeans.fit(reduced)
centres = kmeans.cluster_centers_
