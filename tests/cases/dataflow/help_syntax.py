# uses: model
# magics: line:pinfo
# ---
model?
