# magics: line:pinfo2
# uses: np
# ---
??np.sum
