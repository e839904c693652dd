# defines: tmp, result
# uses: old, compute, print
# deletes: tmp, old
# deleted_uses: tmp, old
# unbound: tmp, old
# ---
tmp = compute()
del tmp, old
result = tmp + old  # both unbound here, whatever ran before: undefined in any run
print(result)
