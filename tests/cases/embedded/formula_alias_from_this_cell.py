# names: f
# kind: formula
# ---
import statsmodels.formula.api as sf
sf.ols("y ~ f(x)", d)
