# defines: stacked, indexed, total, scaled
# uses: pd, doubled, stacked, other, wide, indexed, items, total, scaled, prices, float, stats
# modules: pd=pandas
# mutations: doubled:item:reads, wide:inplace, items:method:append, stats:del-item:reads, prices:item:reads
# self_rebinds: stacked, indexed, total, scaled
# reruns: doubled:no, stacked:no, wide:no, indexed:no, items:no, total:no, scaled:no, prices:no, stats:no
# columns: wide.c:dropped, stats.old:dropped, prices.p:number
# ---
doubled["a"] = doubled["a"] * 2
stacked = pd.concat([stacked, other])
wide.drop("c", axis=1, inplace=True)
indexed = indexed.reset_index()
items.append(1)
total += 1
scaled = scaled[scaled.v < scaled.v.quantile(0.99)]
prices["p"] = prices["p"].str.replace("$", "").astype(float)
del stats["old"]
