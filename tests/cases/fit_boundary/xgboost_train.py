# %% [markdown]
# xgboost's own training function on DMatrix objects, the label given to the DMatrix.

# %%
import pandas as pd
import xgboost as xgb
from sklearn.model_selection import train_test_split

# %%
trips = pd.read_parquet("trips.parquet")
trips["hour"] = trips["pickup"].dt.hour
X = trips[["hour", "distance"]]
y = trips["fare"]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
dtrain = xgb.DMatrix(X_train, label=y_train)
booster = xgb.train({"max_depth": 3}, dtrain, num_boost_round=10)
fares = booster.predict(xgb.DMatrix(X_test))
