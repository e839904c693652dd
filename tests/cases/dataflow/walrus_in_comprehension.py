# defines: last, filtered
# uses: rows, score
# ---
filtered = [y for x in rows if (last := score(x)) > 0.5 for y in [last]]
