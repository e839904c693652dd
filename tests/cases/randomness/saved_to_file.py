# Random values written to a file are a saved result.
# expect: 1 np.random.rand
# expect: 2 np.random.randn
# %%
import numpy as np
import pandas as pd
# %%
np.save("noise.npy", np.random.rand(16))
# %%
frame = pd.DataFrame({"x": np.random.randn(10)})
frame.to_csv("frame.csv")
