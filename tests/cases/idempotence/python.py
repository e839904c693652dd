# setup
from collections import deque
import numpy as np
items = [3, 1, 2]
dq = deque([1, 2])
d = {"a": 0, "b": 2}
seen = {1, 2}
word = " Hello, World "
arr = np.array([3.0, 1.0, 2.0])
m2 = np.array([[1, 1], [0, 1]])
n2 = 9
flags = 6
b = True
# === methods.sort: yes
items.sort()
# === methods.append: no
items.append(4)
# === methods.extend: no
items.extend([4])
# === methods.insert: no (a list)
items.insert(0, 9)
# === methods.pop: no (a list)
items.pop()
# === methods.remove: no
items.remove(1)
# === methods.clear: yes
items.clear()
# === methods.reverse: no
items.reverse()
# === methods.appendleft: no
dq.appendleft(0)
# === methods.extendleft: no
dq.extendleft([0])
# === methods.popleft: no
dq.popleft()
# === methods.rotate: no
dq.rotate(1)
# === methods.update: yes
d.update({"c": 1})
# === methods.update: no (from its own values)
d.update({"b": d["b"] + 1})
# === methods.setdefault: yes
d.setdefault("z", 0)
# === methods.popitem: no
d.popitem()
# === methods.add: yes
seen.add(5)
# === methods.discard: yes
seen.discard(1)
# === methods.difference_update: yes
seen.difference_update({2})
# === methods.intersection_update: yes
seen.intersection_update({2, 3})
# === methods.symmetric_difference_update: no
seen.symmetric_difference_update({1})
# === methods.fill: yes
arr.fill(0)
# === methods.resize: yes
arr.resize(2, refcheck=False)
# === methods.setflags: yes
arr.setflags(write=True)
# === methods.put: yes
arr.put([0], [5.0])
# === methods.put: no (from its own values)
arr.put([0], [arr[0] + 1])
# === methods.reshape: yes
arr = arr.reshape(-1, 1)
# === methods.flatten: yes
arr = arr.flatten()
# === methods.ravel: yes
arr = arr.ravel()
# === methods.squeeze: yes
arr = arr.reshape(1, -1).squeeze()
# === methods.tolist: no
arr = arr.tolist()
# === methods.strip: yes
word = word.strip()
# === methods.lstrip: yes
word = word.lstrip()
# === methods.rstrip: yes
word = word.rstrip()
# === methods.lower: yes
word = word.lower()
# === methods.upper: yes
word = word.upper()
# === methods.title: yes
word = word.title()
# === methods.capitalize: yes
word = word.capitalize()
# === methods.casefold: yes
word = word.casefold()
# === methods.split: no
word = word.split(",")
# === operators.+: no
n2 = n2 + 1
# === operators.-: no
n2 = n2 - 1
# === operators.*: no
n2 = n2 * 2
# === operators./: no
n2 = n2 / 2
# === operators.//: no
n2 = n2 // 2
# === operators.**: no
n2 = n2 ** 2
# === operators.@: no
m2 = m2 @ m2
# === operators.<<: no
n2 = n2 << 1
# === operators.>>: no
n2 = n2 >> 1
# === operators.^: no
n2 = n2 ^ 1
# === operators.%: yes
n2 = n2 % 4
# === operators.|: yes
flags = flags | 1
# === operators.&: yes
flags = flags & 3
# === operators.unary -: no
n2 = -n2
# === operators.unary ~: no
flags = ~flags
# === operators.not: no
b = not b
# === operators.unary +: yes
n2 = +n2
# === augmented.+=: no
n2 += 1
# === augmented.-=: no
n2 -= 1
# === augmented.*=: no
n2 *= 2
# === augmented./=: no
n2 /= 2
# === augmented.//=: no
n2 //= 2
# === augmented.**=: no
n2 **= 2
# === augmented.@=: no
m2 @= m2
# === augmented.<<=: no
n2 <<= 1
# === augmented.>>=: no
n2 >>= 1
# === augmented.^=: no
n2 ^= 1
# === augmented.%=: yes
n2 %= 4
# === augmented.|=: yes
flags |= 1
# === augmented.&=: yes
flags &= 3
# === statements.del: no
del d["b"]
