# Functions reading a random global: plotting it is plot-only; fitting it, even from a
# function defined before the draw, is reported.
# expect: 2 np.random.randn
# %%
import numpy as np
import matplotlib.pyplot as plt
from matplotlib import animation
from sklearn.linear_model import LinearRegression

def train():
    return LinearRegression().fit(features, np.arange(10))
# %%
path = np.cumsum(np.random.rand(50))
fig = plt.figure()

def frame(i):
    plt.plot(path[:i])

anim = animation.FuncAnimation(fig, frame, frames=50)
# %%
features = np.random.randn(10, 2)
# %%
model = train()
