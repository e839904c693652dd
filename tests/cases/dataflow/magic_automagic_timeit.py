# magics: line:timeit
# uses: model, features
# ---
timeit model.predict(features)
