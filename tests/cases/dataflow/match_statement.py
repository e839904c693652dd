# defines: kind, rest, x, y, label
# uses: event, Point, print
# ---
match event:
    case {"kind": kind, **rest}:
        label = kind
    case Point(x=x, y=y) if x > 0:
        label = "point"
    case [_, *rest]:
        label = "seq"
print(label)
