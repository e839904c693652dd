# %% [markdown]
# The model itself is fitted on the spot: its clusters are kept, the model is not. A name given
# by nb2prod would hold an object the notebook never had, which verify cannot check predict
# against: the author names it.

# %%
import pandas as pd
from sklearn.cluster import KMeans

# %%
df = pd.read_csv("points.csv")
labels = KMeans(n_clusters=3, n_init=4, random_state=0).fit_predict(df)
