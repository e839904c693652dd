# uses: cwd
# ---
cwd
