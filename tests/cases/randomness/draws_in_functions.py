# Draws inside a function that returns them into a simulation, or stores them on an object, are used.
# expect: 1 np.random.rand
# %%
import numpy as np
# %%
class Bandit:
    def __init__(self, p):
        self.p = p

    def pull(self):
        return np.random.rand() < self.p

bandit = Bandit(0.3)
wins = sum(bandit.pull() for _ in range(100))
