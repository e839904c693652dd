# defines: pwd
# ---
pwd = "/tmp"
