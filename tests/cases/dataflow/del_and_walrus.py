# defines: n, temp
# uses: values, len, print
# deletes: temp
# unbound:
# ---
temp = 1
del temp
if (n := len(values)) > 3:
    print(n)
temp = 2
