# defines: counter, bump, outer
# uses:
# deferred:
# ---
def bump():
    global counter
    counter = counter + 1

def outer():
    total = 0
    def inner():
        nonlocal total
        total += 1
    inner()
    return total
