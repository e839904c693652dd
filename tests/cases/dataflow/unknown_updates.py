# defines: df
# uses: df, clean, frame, fix
# mutations: frame:item:reads
# self_rebinds: df
# reruns: df:unknown, frame:unknown
# ---
df = clean(df)
frame["a"] = frame["a"].apply(fix)
