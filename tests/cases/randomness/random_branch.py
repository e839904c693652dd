# A random value deciding which statements run is a use.
# expect: 1 random.random
# %%
import random
# %%
threshold = 0.5
if random.random() < threshold:
    threshold = 0.9
