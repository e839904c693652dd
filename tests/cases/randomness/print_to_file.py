# print with file= writes the value to a file: not a display.
# expect: 1 random.random
# %%
import random
# %%
with open("value.txt", "w") as out:
    print(random.random(), file=out)
