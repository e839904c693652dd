# %% [markdown]
# Two regressors fitted on the same rows, one after the other: the last one is saved, the report
# says so.

# %%
from sklearn import datasets
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split

# %%
housing = datasets.fetch_california_housing(as_frame=True)
df = housing["frame"]
df = df[df.HouseAge <= 30]
X = df.drop("MedHouseVal", axis="columns")
y = df.MedHouseVal
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.33, random_state=42)

# %%
lr = LinearRegression()
lr.fit(X_train, y_train)
y_pred = lr.predict(X_test)

# %%
rf = RandomForestRegressor()
rf.fit(X_train, y_train)
y_pred = rf.predict(X_test)
