# A figure statement that also changes data, or hands a figure to a callable together with
# other values, is not display; what a kept statement reads from a figure is kept with it, and
# the display statements that drew on that figure say so (`changes ax`).
# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
# %%
tips = sns.load_dataset("tips")  # expect: kept
bill = tips["total_bill"].mean()  # expect: kept features
df = pd.DataFrame({"x": [0.5, 1.5, 2.5, 3.5]})  # expect: kept features
# %%
def train_and_plot(frame, axis):
    frame["seen"] = True
    axis.plot(frame["x"])
# %%
fig, ax = plt.subplots()  # expect: kept
ax.hist(df["x"])  # expect: kept changes ax
lo, hi = ax.get_xlim()  # expect: kept
edges = np.linspace(lo, hi, 3)  # expect: kept
df["bin"] = pd.cut(df["x"], edges)  # expect: kept features
df["lo"] = ax.get_ylim()[0]  # expect: kept features
train_and_plot(df, ax)  # expect: kept features
# %%
jitter = np.random.rand(4) + ax.get_xlim()[0]  # expect: kept features
later = np.random.rand(2)  # expect: kept features
# %%
df.to_csv("binned.csv")  # expect: kept data
# %%
def simulate():
    return np.random.rand(3)
# %%
# a plotting loop that also runs the notebook's own code, or binds a real value, is kept
for i in range(2):  # expect: kept features
    plt.subplot(1, 2, i + 1)
    simulate()
with plt.style.context("ggplot"):  # expect: kept features
    total = df["x"].sum()
    plt.plot(df["x"])
