# defines: i
# uses: range, compute, verbose
# magics: line:time, shell:ls, line:pinfo
# ---
for i in range(3):
    %time compute(i)
    if verbose:
        !ls
        compute?
