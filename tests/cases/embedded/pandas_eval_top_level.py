# names: df1, df2, k
# kind: expression
# ---
total = pd.eval("df1 + df2 * k")
