# A function of the notebook that fits a model on its argument uses it: reported at the call.
# expect: 2 np.random.rand
# %%
import numpy as np
from sklearn.linear_model import LinearRegression
# %%
def train(features, target):
    return LinearRegression().fit(features, target)
# %%
model = train(np.random.rand(20, 2), np.arange(20))
