# %% [markdown]
# The notebook makes its data file in one expression, never binding the frame, then reads it
# back: training (run in a fresh folder) writes it first, like a bound frame's `to_csv`.

# %%
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

# %%
DATA_PATH = "made.csv"
rng = np.random.default_rng(0)
values = rng.normal(size=(200, 3))
pd.DataFrame(values, columns=["a", "b", "c"]).assign(y=values[:, 0] > 0).to_csv(DATA_PATH)

# %%
df = pd.read_csv(DATA_PATH, index_col=0)
X = df[["a", "b", "c"]]
model = LogisticRegression().fit(X, df["y"])
pred = model.predict(X)
