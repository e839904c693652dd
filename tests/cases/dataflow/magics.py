# defines: timed, listing, stored
# uses: compute, print
# magics: line:matplotlib, line:time, shell:ls, line:store
# ---
%matplotlib inline
%time timed = compute(1)
listing = !ls -la
%store -r stored
print(timed, listing, stored)
