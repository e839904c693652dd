# defines: total
# uses: a, b
# ---
total = (a
         / b)
