# A draw whose value nothing reads (here it is overwritten at once) changes nothing.
# expect: none
# %%
import random
# %%
a = random.randint(5, 50)
a = 10
print(a)
