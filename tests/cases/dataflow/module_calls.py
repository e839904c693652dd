# defines: sorted_a, out, plt
# uses: np, a, tf, pd, df, row, print, items, lst
# modules: np=numpy, tf=tensorflow, pd=pandas
# mutations: lst:method:append, items:method:sort
# ---
import matplotlib.pyplot as plt
sorted_a = np.sort(a)  # a module function: np is not changed
np.sort(a)
tf.fill([1], 2.0)
plt.plot(a)
plt.rcParams["figure.figsize"] = (8, 4)  # the library's state, not the notebook's
pd.options.display.max_rows = 100
out = df.append(row)  # its value is used: not list.append, a method that returns a new value
print(np.sort(a)[:10])
items.sort()
[lst.append(x) for x in a]
