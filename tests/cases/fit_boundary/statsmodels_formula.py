# %% [markdown]
# A statsmodels formula fitted on rows sampled by hand; the held-out rows are the others.

# %%
import pandas as pd
import statsmodels.formula.api as smf

# %%
houses = pd.read_csv("houses.csv")
houses["age"] = 2024 - houses["built"]
train = houses.sample(frac=0.8, random_state=0)
test = houses.drop(train.index)

# %%
result = smf.ols("price ~ area + age", data=train).fit()
print(result.summary())
r2 = result.rsquared

# %%
test["predicted"] = result.predict(test)
test["expensive"] = test["predicted"] > 500_000
