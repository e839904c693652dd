# defines: f, result
# uses: data
# deferred: scale, len
# ---
def f(x, *args, key=None, **kw):
    local = x * scale
    return local + len(args)

result = f(data)
