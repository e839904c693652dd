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
