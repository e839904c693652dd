# %% [markdown]
# A Pipeline fitted on features made by dropping the label column (the target name is a
# parameter); rows without a label are filtered out first; the model is only scored with
# score(), so predict applies it to the features itself.

# %%
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

TARGET = "survived"

# %%
data = pd.read_csv("passengers.csv")
data = data[data[TARGET].notna()]
data["fare_per_person"] = data["fare"] / (data["sibsp"] + 1)

# %%
X = data.drop(columns=[TARGET, "name"])
y = data[TARGET]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
prep = ColumnTransformer(
    [("num", StandardScaler(), ["fare_per_person"]), ("cat", OneHotEncoder(), ["sex"])]
)
pipe = Pipeline([("prep", prep), ("clf", LogisticRegression())])
pipe.fit(X_train, y_train)
accuracy = pipe.score(X_test, y_test)
