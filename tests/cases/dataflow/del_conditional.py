# defines: cache
# uses: big, reset, print
# ---
cache = {}
if reset:
    del cache  # may not run (pyflakes): later reads still see the cell's binding
    del big
print(cache, big)
