# defines: total, fresh
# uses: total, step
# self_rebinds: total
# ---
total += step
fresh = 0
fresh += 1
