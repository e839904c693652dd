# defines: np, random, rng, sorted_corr
# uses: corr, grid, deck, rows, out, arr, mask
# modules: np=numpy, random=random
# mutations: corr:call:fill_diagonal, grid:call:copyto, deck:call:shuffle, rows:call:shuffle, arr:call:putmask
# ---
import numpy as np
import random
np.fill_diagonal(corr, 1)  # changes corr in place: the slice that reads corr keeps it
np.copyto(grid, out)
random.shuffle(deck)
np.random.shuffle(rows)
np.putmask(arr, mask, 0)
sorted_corr = np.sort(corr)  # a pure function: corr is not changed
rng = np.random.default_rng(0)
