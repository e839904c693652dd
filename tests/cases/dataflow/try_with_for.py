# defines: handle, line, err, first, i
# uses: open, path, enumerate, ValueError, print, parse
# ---
try:
    with open(path) as handle:
        for i, line in enumerate(handle):
            first = parse(line)
except ValueError as err:
    print(err)
