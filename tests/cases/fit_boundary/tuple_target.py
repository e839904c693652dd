# %% [markdown]
# Features and label taken in one statement, unlabelled rows dropped, the label column popped;
# the model scores the rows it was fitted on (no split).

# %%
import pandas as pd
from sklearn.linear_model import LinearRegression

# %%
df = pd.read_csv("sales.csv")
df = df.dropna(subset=["revenue"])
df["log_visits"] = df["visits"].clip(lower=1)
X, y = df[["log_visits", "price"]], df["revenue"]

# %%
model = LinearRegression()
model.fit(X, y)
df["prediction"] = model.predict(X)
df["flag"] = df["prediction"] < 100
