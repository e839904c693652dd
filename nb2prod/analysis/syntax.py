"""Small readings of Python syntax trees that several analyses share."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from types import MappingProxyType


def dotted_name(node: ast.AST, opaque: str | None = None) -> str | None:
    """`np.random.rand` for that attribute chain; a call or subscript at its root reads `opaque`."""
    if isinstance(node, ast.Name):  # the most common callee: `print(...)`, `len(...)`
        return node.id
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif opaque is not None and isinstance(node, (ast.Call, ast.Subscript)):
        parts.append(opaque)
    else:
        return None
    return ".".join(reversed(parts))


# the source text of each binary operator (`x += 1` and `x = x + 1` alike)
BINARY_OPERATORS: Mapping[type, str] = MappingProxyType(
    {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.FloorDiv: "//",
        ast.Pow: "**",
        ast.MatMult: "@",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.BitXor: "^",
        ast.Mod: "%",
        ast.BitOr: "|",
        ast.BitAnd: "&",
    }
)


# numpy functions that change their first argument in place and return None
# (`np.fill_diagonal(a, 0)`, `np.random.shuffle(a)`): a change of that name, as `a.sort()` is
NUMPY_IN_PLACE = frozenset(
    {"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis", "shuffle"}
)


def changes_first_argument(qualified: str) -> bool:
    """Whether the library function `qualified` (`numpy.fill_diagonal`) changes its first
    argument in place."""
    top, _, rest = qualified.partition(".")
    if top == "numpy":
        return rest.rpartition(".")[2] in NUMPY_IN_PLACE
    return qualified == "random.shuffle"
