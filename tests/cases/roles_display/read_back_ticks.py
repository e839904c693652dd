# Tick labels read back from the axes a plot drew, and fed back to it (issue #13): display,
# left out with the plot, and so is everything that only uses those labels.
# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
# %%
costs = pd.DataFrame({"city": ["a", "b"], "value": [10.0, 25.0]})  # expect: kept features
plt.figure(figsize=(4, 3))  # expect: out
ax = sns.barplot(x="city", y="value", data=costs)  # expect: out
tick_labels = [f"${x:,.2f}" for x in ax.yaxis.get_ticklocs()]  # expect: out
ax.yaxis.set_ticklabels(tick_labels)  # expect: out
n_ticks = len(tick_labels)  # expect: out
print(f"{n_ticks} ticks")  # expect: out
# %%
tax = np.arange(0, 5, 0.5)  # expect: kept features
revenue = tax * 3  # expect: kept features
plt.plot(tax, revenue)  # expect: out
ax = plt.gca()  # expect: out
lo, hi = ax.get_xlim()  # expect: out
span = hi - lo  # expect: out
ax.set_xticks(np.linspace(lo, hi, 5))  # expect: out
ax.set_xticklabels([f"{t:.1f}" for t in ax.get_xticks()])  # expect: out
handles, labels = ax.get_legend_handles_labels()  # expect: out
ax.legend(handles[::-1], labels[::-1])  # expect: out
# %%
# the same name, rebound to a real value, is no longer a figure
span = revenue.max() - revenue.min()  # expect: kept features
total = revenue.sum() + span  # expect: kept features
np.save("total.npy", total)  # expect: kept data
