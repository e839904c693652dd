# %% [markdown]
# The label is encoded by a fitted LabelEncoder; predictions are decoded with it, so scoring
# needs it from the artifact too.

# %%
import pandas as pd
from sklearn.preprocessing import LabelEncoder
from sklearn.svm import SVC

# %%
flowers = pd.read_csv("iris.csv")
le = LabelEncoder()
y = le.fit_transform(flowers["species"])
X = flowers.drop(columns="species")
clf = SVC().fit(X, y)
flowers["predicted"] = le.inverse_transform(clf.predict(X))
