# %% [markdown]
# A PCA fitted on all rows before the split (fit_transform); a classifier on its output.

# %%
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

# %%
df = pd.read_csv("wine.csv")
X = df[["alcohol", "acidity", "sugar"]]
y = df["quality"]

# %%
pca = PCA(n_components=2)
X_reduced = pca.fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X_reduced, y, random_state=0)
knn = KNeighborsClassifier().fit(X_train, y_train)
pred = knn.predict(X_test)
