# %% [markdown]
# A function fits and returns the model: its call is the fit.

# %%
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

# %%
rides = pd.read_csv("rides.csv")
rides["hour"] = pd.to_datetime(rides["start"]).dt.hour


def train(frame, target, trees=100):
    model = RandomForestRegressor(n_estimators=trees)
    model.fit(frame[["hour", "distance"]], target)
    return model


forest = train(rides, rides["duration"])
rides["expected"] = forest.predict(rides[["hour", "distance"]])
