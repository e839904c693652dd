# magics: line:pinfo
# uses: df
# ---
df.head?
