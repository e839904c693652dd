# pandas' .sample(frac=1) shuffles rows with NumPy's global generator: reported when the rows are used.
# expect: 2 df.sample
# expect: 3 (...).sample
# %%
import pandas as pd
from sklearn.linear_model import LogisticRegression
# %%
df = pd.read_csv("data.csv")
# %%
df = df.sample(frac=1)
model = LogisticRegression(random_state=0).fit(df[["x"]], df["y"])
# %%
subset = df[df.x > 0].sample(n=100)
subset.to_csv("subset.csv")
