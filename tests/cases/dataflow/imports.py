# defines: np, os, pd, RF, join
# imports: numpy as np, os.path as os, pandas as pd, sklearn.ensemble.RandomForestClassifier as RF, os.path.join as join
# ---
import numpy as np
import os.path
import pandas as pd
from sklearn.ensemble import RandomForestClassifier as RF
from os.path import join
