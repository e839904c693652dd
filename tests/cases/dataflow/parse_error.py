# defines: x, y
# parse_error: 3
# ---
x = 1
y = 2
print "python 2"
