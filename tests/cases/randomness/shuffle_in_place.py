# random.shuffle changes its argument: shuffling data the notebook goes on using is reported.
# expect: 2 random.shuffle
# %%
import random
# %%
users = list(range(100))
# %%
random.shuffle(users)
train_users = users[:90]
# %%
print(len(train_users))
