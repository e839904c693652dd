# defines: captured
# uses: noisy
# magics: cell:capture
# ---
%%capture captured
noisy()
