# magics: line:cd
# ---

  cd ../data
