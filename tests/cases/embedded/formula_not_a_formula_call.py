# names: 
# ---
print("y ~ f(x)")
label = str.format("a ~ g(b)")
pd.read_csv("data~f(1).csv")
