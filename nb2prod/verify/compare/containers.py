"""Scalars, classes, functions and the built-in containers."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any

from .core import DETAIL_ROWS, Comparison, Session, at
from .kinds import ATOMS, bound_to, library_name, opaque
from .render import short


def scalar(s: Session, kind: str | None, e: Any, a: Any, path: str) -> Comparison:
    """Compare two scalars of one family: floats within tolerance, the rest exactly."""
    if kind == "float":
        x, y = float(e), float(a)
        if s.tol.close(x, y):
            return Comparison("equal", f"equal within {s.tol.describe()}")
        return _numbers_differ(s, path, x, y)
    if kind == "complex":
        z, w = complex(e), complex(a)
        if s.tol.close(z.real, w.real) and s.tol.close(z.imag, w.imag):
            return Comparison("equal", f"equal within {s.tol.describe()}")
        return _numbers_differ(s, path, z, w)
    if kind == "int":  # integers are counts and ids: exact
        if int(e) == int(a):
            return Comparison("equal", "equal")
        return s.differs(path, f"{int(e)} vs {int(a)}", float(abs(int(e) - int(a))))
    if kind == "bool":
        if bool(e) == bool(a):
            return Comparison("equal", "equal")
        return s.differs(path, f"{bool(e)} vs {bool(a)}")
    # str and bytes: exact, and say where they part
    if e == a:
        return Comparison("equal", "equal")
    where = next(
        (i for i, (x, y) in enumerate(zip(e, a, strict=False)) if x != y), min(len(e), len(a))
    )
    return s.differs(path, f"{short(e)} vs {short(a)} (first difference at position {where})")


def _numbers_differ(s: Session, path: str, x: complex, y: complex) -> Comparison:
    diff = abs(x - y)
    shown = diff if math.isfinite(diff) else None
    return s.differs(
        path, f"{x!r} vs {y!r} (abs diff {diff:.3g}, beyond {s.tol.describe()})", shown
    )


def classes(s: Session, e: Any, a: Any, path: str) -> Comparison:
    """Compare classes by qualified name (a class moved from the notebook into a module)."""
    if isinstance(e, type) and isinstance(a, type) and e.__qualname__ == a.__qualname__:
        return Comparison("equal", f"class {e.__qualname__}")
    return s.differs(path, f"{short(e)} vs {short(a)}")


def callables(s: Session, e: Any, a: Any, path: str, depth: int) -> Comparison:
    """A library function is the same value in both runs when it is the same named object.

    Functions defined in the notebook or the package have no such evidence (their code moved
    and their globals differ): they stay "uncomparable" and are judged by what they return.
    """
    if isinstance(e, functools.partial) and isinstance(a, functools.partial):
        pairs = [
            ("func", e.func, a.func),
            ("args", e.args, a.args),
            ("keywords", e.keywords, a.keywords),
        ]
        return s.attributes(pairs, path, depth)
    ne, na = library_name(e), library_name(a)
    if ne is None or na is None:
        reason = opaque(e if ne is None else a) or "not a function"
        return Comparison("uncomparable", at(path, reason))
    if ne != na:
        return s.differs(path, f"function {ne} vs {na}")
    owner_e, owner_a = bound_to(e), bound_to(a)
    if owner_e is None and owner_a is None:
        return Comparison("equal", f"the same library function {ne}")
    owner = s.value(owner_e, owner_a, f"{path}.__self__", depth + 1)
    if owner.verdict != "equal":
        return owner
    return Comparison("equal", f"method {ne} of equal objects")


def sequence(s: Session, e: Any, a: Any, path: str, depth: int) -> Comparison:
    """Compare lists and tuples item by item, then their lengths."""
    n, m = len(e), len(a)

    def items() -> Iterable[Comparison]:
        for i in range(min(n, m)):
            yield s.value(e[i], a[i], f"{path}[{i}]", depth + 1)

    result = _atoms(s, e, a, path, depth)
    if result is None:
        result = s.combine(items(), f"{n} items equal")
    if n == m:
        return result
    if result.verdict == "differs":
        return Comparison(
            "differs", f"{result.detail} (and length {n} vs {m})", result.max_abs_diff
        )
    longer, side = (e, "expected") if n > m else (a, "actual")
    extra = ", ".join(short(x) for x in longer[min(n, m) : min(n, m) + DETAIL_ROWS])
    return s.differs(path, f"length {n} vs {m}; only in {side}: {extra}")


def _atoms(s: Session, e: Any, a: Any, path: str, depth: int) -> Comparison | None:
    """Compare sequences of plain scalars in one loop; None when an item is something else."""
    # long lists of ids or scores would otherwise cost one visit (and MAX_VALUES) per item
    first = None
    close = s.tol.close
    for i in range(min(len(e), len(a))):
        x, y = e[i], a[i]
        kind = type(x)
        if kind is not type(y) or kind not in ATOMS:
            return None
        if (
            x == y
            or (kind is float and close(x, y))
            or (kind is complex and close(x.real, y.real) and close(x.imag, y.imag))
        ):
            continue
        if first is None:
            first = i
    if first is None:
        return Comparison("equal", f"{len(e)} items equal within {s.tol.describe()}")
    return s.value(e[first], a[first], f"{path}[{first}]", depth + 1)


def mapping(
    s: Session, e: Mapping[Any, Any], a: Mapping[Any, Any], path: str, depth: int
) -> Comparison:
    """Compare mappings: the same keys (order ignored), then value by value."""
    missing = [k for k in e if k not in a]
    extra = [k for k in a if k not in e]
    if missing or extra:
        parts = []
        if missing:
            parts.append(
                f"keys missing from actual: {', '.join(map(short, missing[:DETAIL_ROWS]))}"
            )
        if extra:
            parts.append(f"keys only in actual: {', '.join(map(short, extra[:DETAIL_ROWS]))}")
        return s.differs(path, "; ".join(parts))
    return s.combine(
        (s.value(e[k], a[k], f"{path}[{k!r}]", depth + 1) for k in e), f"{len(e)} keys equal"
    )


def sets(s: Session, e: Any, a: Any, path: str) -> Comparison:
    """Compare sets by exact membership (their elements are hashable)."""
    if e == a:
        return Comparison("equal", f"{len(e)} elements equal")
    parts = []
    for label, items in (("missing from actual", e - a), ("only in actual", a - e)):
        if items:
            shown = sorted(map(short, items))[:DETAIL_ROWS]
            parts.append(f"{label}: {', '.join(shown)}")
    return s.differs(path, "; ".join(parts))
