# uses: f, x
# ---
/f x
