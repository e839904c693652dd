# Figure objects made by pandas, seaborn, plotly, loops over axes and the notebook's own
# plotting helpers: statements that only read or feed them are display.
# %%
import matplotlib.pyplot as plt
import pandas as pd
import plotly.express as px
import seaborn as sns
# %%
df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0], "g": ["x", "y", "x"]})  # expect: kept features
# %%
def annotate(axis):
    for patch in axis.patches:
        axis.annotate(f"{patch.get_height():.0f}", (patch.get_x(), patch.get_height()))
# %%
ax = df.plot(x="a", y="b")  # expect: out
ymin, ymax = ax.get_ylim()  # expect: out
ax.fill_between(df["a"], ymin, df["b"], alpha=0.3)  # expect: out
annotate(ax)  # expect: out
# %%
fig, axes = plt.subplots(1, 2)  # expect: out
for axis, column in zip(axes.flat, ["a", "b"]):  # expect: out
    axis.hist(df[column])
    axis.set_xlim(0, 4)
fig.tight_layout()  # expect: out
fig.subplots_adjust(top=0.8)  # expect: out
# %%
grid = sns.FacetGrid(df, col="g")  # expect: out
grid.map_dataframe(sns.scatterplot, x="a", y="b")  # expect: out
grid.set_axis_labels("a", "b")  # expect: out
# %%
chart = px.scatter(df, x="a", y="b")  # expect: out
chart.update_layout(title="a against b")  # expect: out
# %%
panel = df.plot.scatter(x="a", y="b")  # expect: out
shown = panel.get_figure()  # expect: out
# %%
def make_axes():
    return plt.subplots()[1]
# %%
# axes whose origin nb2prod cannot see are axes once a method only figures have is called
made = make_axes()  # expect: kept features
limits = made.get_xlim()  # expect: out
made.set_title(f"{limits}")  # expect: out changes made
# %%
with plt.style.context("ggplot"):  # expect: out
    fig2, ax2 = plt.subplots()
    ax2.plot(df["a"])
    low = ax2.get_ylim()[0]
for i in range(2):  # expect: out
    plt.subplot(1, 2, i + 1)
    plt.hist(df["a"] * i)
