# defines: df
# uses: globals, locals, load, print, other
# guarded: history
# ---
if 'df' not in globals():
    df = load()
else:
    print(df.shape)
if 'history' in locals() and history:
    print(history[-1], other)
