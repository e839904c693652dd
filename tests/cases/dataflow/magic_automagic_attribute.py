# uses: time
# ---
time.sleep(1)
