"""numpy arrays and pandas DataFrames, Series and Index: shapes, dtypes, then values."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .core import DETAIL_ROWS, Comparison, Session, Uncomparable, at
from .render import assertion, column, dtypes, short, values_detail

# --- numpy ---------------------------------------------------------------------------------


def _mask(s: Session, np: Any, x: Any, y: Any, depth: int) -> tuple[Any, float | None]:
    """Mark the elements that differ (same shapes); return the largest finite absolute difference."""
    kx, ky = x.dtype.kind, y.dtype.kind
    if kx in "iub" and ky in "iub":  # exact: integers are counts, booleans flags
        return np.asarray(x != y), (_max_abs(np, x, y) if kx in "iu" and ky in "iu" else None)
    if kx in "iufc" and ky in "iufc":
        return close_mask(s, np, x, y)
    if kx in "mM" and ky in "mM":
        return np.asarray((x != y) & ~(np.isnat(x) & np.isnat(y))), None
    if kx in "O" or ky in "O":
        return _object_mask(s, np, x, y, depth), None
    try:
        return np.asarray(x != y, dtype=bool).reshape(x.shape), None
    except Exception:
        return _object_mask(s, np, x.astype(object), y.astype(object), depth), None


def close_mask(s: Session, np: Any, x: Any, y: Any) -> tuple[Any, float | None]:
    """Mark the elements beyond the float rule (the vectorised `Tolerances.close`)."""
    with np.errstate(all="ignore"):
        diff = np.abs(x - y)
        bound = np.maximum(s.tol.rtol * np.maximum(np.abs(x), np.abs(y)), s.tol.atol)
        same = (x == y) | (np.isnan(x) & np.isnan(y)) | (diff <= bound)
    finite = diff[np.isfinite(diff)]
    return ~same, (float(finite.max()) if finite.size else None)


def _object_mask(s: Session, np: Any, x: Any, y: Any, depth: int) -> Any:
    mask = np.zeros(x.shape, dtype=bool)
    for index in np.ndindex(x.shape):
        result = s.value(x[index], y[index], "", depth + 1)
        if result.verdict == "uncomparable":
            raise Uncomparable(f"element {list(index)}: {result.detail}")
        mask[index] = result.verdict == "differs"
    return mask


def _max_abs(np: Any, x: Any, y: Any) -> float | None:
    if x.size == 0:
        return None
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(x.astype("float64") - y.astype("float64"))))


def array(s: Session, np: Any, e: Any, a: Any, path: str, depth: int) -> Comparison:
    """Compare arrays: shape, dtype, then elements (object arrays one by one)."""
    if e.shape != a.shape:
        return s.differs(path, f"shape {e.shape} vs {a.shape}")
    if s.tol.check_dtype and e.dtype != a.dtype:
        return s.differs(path, f"dtype {e.dtype} vs {a.dtype}")
    if e.dtype.kind == "O" or a.dtype.kind == "O":
        return _object_array(s, np, e, a, path, depth)
    mask, max_abs = _mask(s, np, e, a, depth)
    if not mask.any():
        return Comparison(
            "equal", f"array {e.shape} {e.dtype} equal within {s.tol.describe()}", max_abs
        )
    where = [tuple(int(i) for i in ix) for ix in np.argwhere(mask)[:DETAIL_ROWS]]
    shown = "; ".join(
        f"[{', '.join(map(str, ix))}]: {short(e[ix])} vs {short(a[ix])}" for ix in where
    )
    summary = f"{int(mask.sum())} of {mask.size} elements differ"
    if max_abs is not None:
        summary += f" (max abs diff {max_abs:.3g}, {s.tol.describe()})"
    return s.differs(path, f"{summary}; first: {shown}", max_abs)


def _object_array(s: Session, np: Any, e: Any, a: Any, path: str, depth: int) -> Comparison:
    def items() -> Iterable[Comparison]:
        for index in np.ndindex(e.shape):
            label = ", ".join(map(str, index))
            yield s.value(e[index], a[index], f"{path}[{label}]", depth + 1)

    return s.combine(items(), f"object array {e.shape} equal")


# --- pandas --------------------------------------------------------------------------------


def _exact_values(np: Any, series: Any) -> Any:
    """Return the integer or boolean values of a Series, NA filled (masked separately)."""
    dtype = getattr(series.dtype, "numpy_dtype", series.dtype)
    fill = False if np.dtype(dtype).kind == "b" else 0
    return series.to_numpy(dtype=dtype, na_value=fill)


def _column_mask(
    s: Session, np: Any, pd: Any, x: Any, y: Any, depth: int
) -> tuple[Any, float | None, str | None]:
    """Mark differing elements of aligned Series (NA equals NA); say why a cell was uncomparable."""
    nx, ny = np.asarray(x.isna()), np.asarray(y.isna())
    kx, ky = x.dtype.kind, y.dtype.kind
    categorical = isinstance(x.dtype, pd.CategoricalDtype) or isinstance(
        y.dtype, pd.CategoricalDtype
    )
    if kx in "iufcb" and ky in "iufcb" and not categorical:
        if kx in "fc" or ky in "fc":
            target = "complex128" if "c" in (kx, ky) else "float64"
            vx = x.to_numpy(dtype=target, na_value=np.nan)
            vy = y.to_numpy(dtype=target, na_value=np.nan)
            mask, max_abs = close_mask(s, np, vx, vy)
            return mask | (nx != ny), max_abs, None
        mask, max_abs = _mask(s, np, _exact_values(np, x), _exact_values(np, y), depth)
        return (mask & ~(nx | ny)) | (nx != ny), max_abs, None
    vx, vy = x.to_numpy(dtype=object), y.to_numpy(dtype=object)
    try:
        unequal = np.asarray(vx != vy, dtype=bool)
        if unequal.shape != vx.shape:
            raise ValueError("not elementwise")
    except Exception:
        unequal = np.ones(vx.shape, dtype=bool)
    unequal &= ~(nx & ny)
    unknown = None
    for i in np.flatnonzero(unequal & ~(nx | ny)):
        if isinstance(vx[i], str) and isinstance(vy[i], str):
            continue  # == already answered for strings
        result = s.value(vx[i], vy[i], "", depth + 1)  # floats in object columns: the tolerance
        if result.verdict != "differs":
            unequal[i] = False
        if result.verdict == "uncomparable" and unknown is None:
            unknown = f"row {x.index[i]!r}: {result.detail}"
    return unequal | (nx != ny), None, unknown


def _index_difference(s: Session, pd: Any, e: Any, a: Any, what: str, depth: int) -> str | None:
    try:
        pd.testing.assert_index_equal(
            e, a, exact="equiv", check_exact=False, rtol=s.tol.rtol, atol=s.tol.atol
        )
        return None
    except AssertionError as exc:
        if len(e) != len(a):
            return f"{what} length {len(e)} vs {len(a)}"
        if s.tol.check_dtype and e.dtype != a.dtype:
            return f"{what} dtype {e.dtype} vs {a.dtype}"
        for i, (x, y) in enumerate(zip(e, a, strict=False)):
            if s.value(x, y, "", depth + 1).verdict != "equal":
                return f"{what} differs at position {i}: {short(x)} vs {short(y)}"
        if e.names != a.names:
            return f"{what} names {list(e.names)} vs {list(a.names)}"
        return f"{what} differs: {assertion(exc)}"


def index(s: Session, pd: Any, e: Any, a: Any, path: str, depth: int) -> Comparison:
    """Compare two Index objects (a RangeIndex equals an integer Index of the same values)."""
    problem = _index_difference(s, pd, e, a, "index", depth)
    return s.differs(path, problem) if problem else Comparison("equal", f"index of {len(e)} equal")


def _pandas_verdict(
    s: Session,
    check: Callable[..., None],
    parts: list[str],
    unknown: str | None,
    path: str,
    max_abs: float | None,
) -> Comparison | None:
    """Run pandas' own check when no difference was found yet; the verdict, or None if equal."""
    if not parts and not unknown:  # pandas would count uncomparable cells as different
        try:
            check(
                check_exact=False, rtol=s.tol.rtol, atol=s.tol.atol, check_dtype=s.tol.check_dtype
            )
        except AssertionError as exc:
            parts.append(assertion(exc))
    if parts:
        return s.differs(path, "; ".join(parts), max_abs)
    if unknown:
        return Comparison("uncomparable", at(path, unknown))
    return None


def series(s: Session, np: Any, pd: Any, e: Any, a: Any, path: str, depth: int) -> Comparison:
    """Compare Series: length, index, name, dtype, then values."""
    if len(e) != len(a):
        return s.differs(path, f"Series length {len(e)} vs {len(a)}")
    problem = _index_difference(s, pd, e.index, a.index, "index", depth)
    if problem:
        return s.differs(path, problem)
    if e.name != a.name:
        return s.differs(path, f"Series name {e.name!r} vs {a.name!r}")
    parts = []
    if s.tol.check_dtype and e.dtype != a.dtype:
        parts.append(dtypes(pd, e.dtype, a.dtype))
    mask, max_abs, unknown = _column_mask(s, np, pd, e, a, depth)
    if mask.any():
        label = "values" if e.name is None else e.name
        parts.append(values_detail(np, pd, e.to_frame(), a.to_frame(), [mask], [label]))

    def check(**options: Any) -> None:
        pd.testing.assert_series_equal(e, a, **options)

    verdict = _pandas_verdict(s, check, parts, unknown, path, max_abs)
    if verdict is not None:
        return verdict
    return Comparison("equal", f"Series of {len(e)} equal within {s.tol.describe()}", max_abs)


def _columns_difference(e: Any, a: Any) -> str | None:
    if e.shape == a.shape and e.columns.equals(a.columns):
        return None
    gone = [c for c in e.columns if c not in a.columns]
    new = [c for c in a.columns if c not in e.columns]
    parts = [f"shape {e.shape} vs {a.shape}"] if e.shape != a.shape else []
    if gone:
        parts.append(f"columns missing from actual: {gone[:DETAIL_ROWS]}")
    if new:
        parts.append(f"columns only in actual: {new[:DETAIL_ROWS]}")
    if not gone and not new and e.shape[1] == a.shape[1]:
        parts.append(f"column order {list(e.columns)[:10]} vs {list(a.columns)[:10]}")
    return "; ".join(parts) or None


def frame(s: Session, np: Any, pd: Any, e: Any, a: Any, path: str, depth: int) -> Comparison:
    """Compare DataFrames: columns, index, dtypes, values column by column, then pandas' checks."""
    problem = _columns_difference(e, a) or _index_difference(
        s, pd, e.index, a.index, "index", depth
    )
    if problem:
        return s.differs(path, problem)
    parts, masks, diffs, unknown = [], [], [], None
    changed = [
        f"{e.columns[j]!r}: {dtypes(pd, e.dtypes.iloc[j], a.dtypes.iloc[j]).removeprefix('dtype ')}"
        for j in range(e.shape[1])
        if e.dtypes.iloc[j] != a.dtypes.iloc[j]
    ]
    if changed and s.tol.check_dtype:
        parts.append(f"dtypes differ: {', '.join(changed[:DETAIL_ROWS])}")
    for j in range(e.shape[1]):
        mask, max_abs, cell = _column_mask(s, np, pd, column(e, j), column(a, j), depth)
        unknown = unknown or (f"column {e.columns[j]!r} {cell}" if cell else None)
        masks.append(mask)
        if max_abs is not None:
            diffs.append(max_abs)
    max_abs_diff = max(diffs) if diffs else None
    if masks and any(m.any() for m in masks):
        parts.append(values_detail(np, pd, e, a, masks, list(e.columns)))

    def check(**options: Any) -> None:  # names, categories, frequencies: beyond values
        pd.testing.assert_frame_equal(e, a, **options)

    verdict = _pandas_verdict(s, check, parts, unknown, path, max_abs_diff)
    if verdict is not None:
        return verdict
    return Comparison(
        "equal",
        f"DataFrame {e.shape[0]}×{e.shape[1]} equal within {s.tol.describe()}",
        max_abs_diff,
    )
