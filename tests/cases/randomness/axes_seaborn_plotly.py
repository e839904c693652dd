# Axes methods, seaborn, plotly and pandas' plotting are display sinks too.
# expect: none
# %%
import numpy as np
import pandas as pd
import seaborn as sns
import plotly.express as px
import plotly.graph_objects as go
import matplotlib.pyplot as plt
# %%
fig, axes = plt.subplots(1, 2)
data = np.random.normal(size=1000)
axes[0].hist(data, bins=30)
axes[1].set_title(f"n = {len(data)}")
# %%
sns.histplot(np.random.exponential(size=500))
px.scatter(x=np.random.rand(20), y=np.random.rand(20))
trace = go.Scatter(x=np.arange(10), y=np.random.randn(10))
go.Figure(data=[trace]).show()
# %%
frame = pd.DataFrame(np.random.randn(100, 2), columns=["a", "b"])
frame.plot.scatter(x="a", y="b")
pd.Series(np.random.rand(10)).hist()
