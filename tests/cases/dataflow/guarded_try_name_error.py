# defines: model, cache, ok
# uses: train, data, print, NameError, KeyError, lookup, key
# guarded: model, cache
# ---
try:
    model
except NameError:
    model = train(data)
try:
    cache
except (KeyError, NameError):
    cache = {}
try:
    ok = lookup[key]  # only NameError guards a read: these are plain uses
except KeyError:
    ok = None
print(model)
