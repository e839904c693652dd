# defines: fitted
# uses: train, X
# magics: cell:time
# ---
%%time
fitted = train(X)
