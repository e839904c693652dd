# names: double_it
# kind: formula
# ---
model = smf.glm("SUCCESS ~ double_it(LOWINC) + PCTCHRT", data=dta).fit()
