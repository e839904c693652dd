"""How values and differences read in a detail: short reprs, type names, frame excerpts."""

from __future__ import annotations

import contextlib
import reprlib
import sys
from typing import Any

from .core import DETAIL_COLUMNS, DETAIL_ROWS

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 6


def short(value: object) -> str:
    """Render a value briefly (numpy scalars as their Python value)."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic) and not isinstance(value, np.void):
        with contextlib.suppress(Exception):  # else keep the numpy repr
            value = value.item()
    try:
        return _repr.repr(value)
    except Exception as exc:
        return f"<{type_name(value)} (repr failed: {type(exc).__name__})>"


def type_name(value: object) -> str:
    """Name a value's class (or a class) with its module, builtins bare."""
    cls = value if isinstance(value, type) else type(value)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in ("builtins", "") else f"{module}.{name}"


def dtypes(pd: Any, x: Any, y: Any) -> str:
    """Describe two differing dtypes, with the categories when that is where they differ."""
    if isinstance(x, pd.CategoricalDtype) and isinstance(y, pd.CategoricalDtype):
        shown = [list(d.categories)[: DETAIL_ROWS * 2] for d in (x, y)]
        ordered = "" if x.ordered == y.ordered else f", ordered {x.ordered} vs {y.ordered}"
        return f"dtype category: categories {shown[0]} vs {shown[1]}{ordered}"
    return f"dtype {x} vs {y}"


def assertion(exc: AssertionError) -> str:
    """Shorten a pandas assertion message to its first lines."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " / ".join(lines[:4])[:400] or "pandas reports a difference"


def column(frame: Any, j: int) -> Any:
    """Return the j-th column of a frame as a Series (labels may repeat)."""
    return frame.iloc[:, j]


def values_detail(np: Any, pd: Any, e: Any, a: Any, masks: list[Any], labels: list[Any]) -> str:
    """Show the head of the differing rows, expected and actual side by side per column."""
    rows = np.flatnonzero(np.logical_or.reduce(masks))
    columns = [j for j, m in enumerate(masks) if m.any()]
    head = rows[:DETAIL_ROWS]
    table = {}
    for j in columns[:DETAIL_COLUMNS]:
        name = str(labels[j])
        table[(name, "expected")] = column(e, j).iloc[head].to_numpy(dtype=object)
        table[(name, "actual")] = column(a, j).iloc[head].to_numpy(dtype=object)
    shown = pd.DataFrame(table, index=e.index[head]).to_string(max_colwidth=40)
    names = ", ".join(repr(labels[j]) for j in columns[:DETAIL_COLUMNS])
    more = f" (+{len(columns) - DETAIL_COLUMNS} more)" if len(columns) > DETAIL_COLUMNS else ""
    return (
        f"{len(rows)} of {len(e)} rows differ in column{'s' if len(columns) > 1 else ''} "
        f"{names}{more}; first {len(head)}:\n{shown}"
    )
