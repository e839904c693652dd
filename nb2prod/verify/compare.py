"""Type-aware comparison of a value captured in two runs (DESIGN.md, "Verification semantics").

`compare(expected, actual)` never raises and answers "equal" only with evidence: a value
whose equality means nothing (a figure, a generator, an open file) is "uncomparable", and a
comparison that breaks is "uncomparable" with the reason. Every tolerance is a field of
`Tolerances`; docs/verification.md lists them.
"""

from __future__ import annotations

import collections.abc
import contextlib
import dataclasses
import functools
import io
import math
import pickle
import reprlib
import sys
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Verdict = Literal["equal", "differs", "uncomparable"]

# Limits of the comparison itself, not tolerances: they never turn a difference into "equal".
MAX_DEPTH = 100  # deeper nesting is "uncomparable" (keeps clear of Python's recursion limit)
MAX_VALUES = (
    1_000_000  # values visited one by one (arrays and columns count once); then "uncomparable"
)
DETAIL_ROWS = 5  # differing rows, elements or items shown in a detail
DETAIL_COLUMNS = 5  # differing DataFrame columns shown side by side
_ATOMS = frozenset({int, float, str, bytes, bool, complex, type(None)})
# Plot and display libraries: their objects have no meaningful equality.
DISPLAY_MODULES = (
    "matplotlib",
    "mpl_toolkits",
    "seaborn",
    "plotly",
    "bokeh",
    "altair",
    "PIL",
    "IPython",
    "ipywidgets",
)


@dataclass(frozen=True, slots=True)
class Tolerances:
    """Every tolerance a comparison applies; defaults follow numpy and pandas."""

    # Floats a, b are equal when |a - b| <= max(rtol * max(|a|, |b|), atol): math.isclose,
    # and pandas' assert_*_equal, so scalars, arrays, frames and printed numbers agree.
    rtol: float = 1e-5
    atol: float = 1e-8
    # int64 vs float64 of equal values is a changed return type, so a difference by default.
    check_dtype: bool = True

    def __post_init__(self) -> None:
        if not (self.rtol >= 0 and self.atol >= 0):  # also rejects NaN
            raise ValueError(
                f"tolerances must be non-negative, got rtol={self.rtol}, atol={self.atol}"
            )

    def describe(self) -> str:
        """Render the tolerances for a detail line."""
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome of comparing one value; `max_abs_diff` is set for numeric differences."""

    verdict: Verdict
    detail: str
    max_abs_diff: float | None = None

    @property
    def equal(self) -> bool:
        return self.verdict == "equal"


DEFAULT_TOLERANCES = Tolerances()


def compare(
    expected: object, actual: object, tolerances: Tolerances = DEFAULT_TOLERANCES
) -> Comparison:
    """Compare a value from the reference run with the same value from the other run."""
    try:
        return _Comparer(tolerances).value(expected, actual, "", 0)
    except Exception as exc:
        return Comparison("uncomparable", f"comparison failed: {_exc(exc)}")


# --- helpers -------------------------------------------------------------------------------

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 6


def _short(value: object) -> str:
    """Render a value briefly (numpy scalars as their Python value)."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic) and not isinstance(value, np.void):
        with contextlib.suppress(Exception):  # else keep the numpy repr
            value = value.item()
    try:
        return _repr.repr(value)
    except Exception as exc:
        return f"<{_type_name(value)} (repr failed: {type(exc).__name__})>"


def _type_name(value: object) -> str:
    cls = value if isinstance(value, type) else type(value)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in ("builtins", "") else f"{module}.{name}"


def _exc(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def _at(path: str, message: str) -> str:
    return f"at {path}: {message}" if path else message


def _same_class(expected: object, actual: object) -> bool:
    """Tell whether two values share a class, or its qualified name (a class moved into a module)."""
    te, ta = type(expected), type(actual)
    return te is ta or te.__qualname__ == ta.__qualname__


def _scalar_kind(value: object) -> str | None:
    """Return the scalar family whose members compare with each other, or None."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, complex):
        return "complex"
    if isinstance(value, str):
        return "str"
    if isinstance(value, bytes):
        return "bytes"
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic):
        for kind, cls in (
            ("bool", np.bool_),
            ("int", np.integer),
            ("float", np.floating),
            ("complex", np.complexfloating),
            ("str", np.str_),
            ("bytes", np.bytes_),
        ):
            if isinstance(value, cls):
                return kind
    return None


def _opaque(value: object) -> str | None:
    """Say why a value has no meaningful equality, or return None when it has one."""
    if _answers_anything(value):
        return f"{_type_name(value)}: invents attributes on demand (a mock?), so its state means nothing"
    if is_display_object(value):
        return f"{_type_name(value)}: a plot or image object has no meaningful equality"
    if isinstance(value, io.IOBase):
        return f"{_type_name(value)}: an open file or stream has no meaningful equality"
    if isinstance(
        value,
        (
            types.GeneratorType,
            types.CoroutineType,
            types.AsyncGeneratorType,
            collections.abc.Iterator,
        ),
    ):
        return f"{_type_name(value)}: an iterator cannot be compared without consuming it"
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__}: modules are not values"
    if isinstance(
        value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, functools.partial)
    ):
        name = getattr(value, "__qualname__", "")
        return f"{_type_name(value)} {name}: functions are compared by what they return"
    return None


def _is_callable_value(value: object) -> bool:
    return isinstance(
        value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, functools.partial)
    )


def _bound_to(value: object) -> object | None:
    """The object a method is bound to; None for plain functions (a builtin's module counts as none)."""
    owner = getattr(value, "__self__", None)
    return None if owner is None or isinstance(owner, types.ModuleType) else owner


def _library_name(value: object) -> str | None:
    """`module.qualname` when importing that name gives back this very function, else None.

    That rules out lambdas, nested functions and whatever the notebook (`__main__`) or the
    generated package defined; what is left is a library function, the same code in both runs.
    """
    owner = _bound_to(value)
    if owner is not None:  # a method: named by its class; the object is compared separately
        cls, name = type(owner), getattr(value, "__name__", "")
        if (
            not name
            or getattr(cls, name, None) is None
            or cls.__module__ == "__main__"
            or "<" in cls.__qualname__
        ):
            return None
        return f"{cls.__module__}.{cls.__qualname__}.{name}"
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if (
        not module
        or not qualname
        or module == "__main__"
        or "<" in qualname
        or module not in sys.modules
    ):
        return None
    found: object = sys.modules[module]
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return f"{module}.{qualname}" if found is value else None


def is_display_object(value: object) -> bool:
    """A plot, an image or a display object (scikit-learn's `*Display` classes included)."""
    kind = type(value)
    module = kind.__module__ or ""
    return any(
        module == m or module.startswith(m + ".") for m in DISPLAY_MODULES
    ) or kind.__name__.endswith("Display")


def is_display_only(value: object, depth: int = 0) -> bool:
    """A display object, or a list, tuple or object array holding only those (nothing to compare)."""
    if is_display_object(value):
        return True
    if depth >= 3:
        return False
    items: list[object] = []
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif str(getattr(value, "dtype", "")) == "object" and hasattr(value, "ravel"):
        items = list(value.ravel())  # type: ignore[attr-defined]
    return bool(items) and all(is_display_only(item, depth + 1) for item in items)


def _answers_anything(value: object) -> bool:
    """Detect objects that invent attributes on demand (mocks), for which duck typing means nothing."""
    return hasattr(type(value), "__getattr__") and hasattr(
        value, "_nb2prod_surely_not_an_attribute"
    )


def _is_statsmodels_results(value: object) -> bool:
    # `bse` as well, outside statsmodels: a record that merely has .params and .model keeps
    # all its fields compared instead of only two
    module = type(value).__module__ or ""
    return (
        not isinstance(value, type)
        and hasattr(value, "params")
        and hasattr(value, "model")
        and (module.split(".")[0] in ("statsmodels", "linearmodels") or hasattr(value, "bse"))
    )


def _is_estimator(value: object) -> bool:
    return (
        not isinstance(value, type)
        and callable(getattr(value, "get_params", None))
        and callable(getattr(value, "fit", None))
    )


def _fitted(estimator: object) -> dict[str, Any]:
    """Collect the fitted attributes the way scikit-learn's check_is_fitted finds them.

    Wall-clock timings (`refit_time_`, the `*_fit_time`/`*_score_time` columns of a search's
    `cv_results_`) are measurements of the machine, not of the model: they are left out.
    """
    state = getattr(estimator, "__dict__", None) or {}
    fitted = {
        k: v
        for k, v in state.items()
        if k.endswith("_") and not k.startswith("_") and not _is_timing(k)
    }
    for name, value in fitted.items():
        if isinstance(value, dict) and any(isinstance(k, str) and _is_timing(k) for k in value):
            fitted[name] = {
                k: v for k, v in value.items() if not (isinstance(k, str) and _is_timing(k))
            }
    return fitted


def _is_timing(name: str) -> bool:
    return name.rstrip("_").endswith("_time")


class _Uncomparable(Exception):
    """Raised inside vectorised helpers when an element cannot be compared."""


class _Comparer:
    """One comparison: the tolerances and the pairs on the current path (for cycles)."""

    def __init__(self, tolerances: Tolerances) -> None:
        self.tol = tolerances
        self.active: set[tuple[int, int]] = set()
        self.visits = 0  # bounds the work on huge or self-generating objects (a Mock's attributes)

    # --- dispatch --------------------------------------------------------------------------

    def value(self, e: Any, a: Any, path: str, depth: int) -> Comparison:
        """Compare two values of any type; exceptions become "uncomparable" at this path."""
        self.visits += 1
        if self.visits > MAX_VALUES:
            return Comparison(
                "uncomparable", _at(path, f"more than {MAX_VALUES:,} values to compare one by one")
            )
        if depth > MAX_DEPTH:
            return Comparison("uncomparable", _at(path, f"nested deeper than {MAX_DEPTH} levels"))
        try:
            return self._dispatch(e, a, path, depth)
        except _Uncomparable as exc:
            return Comparison("uncomparable", _at(path, str(exc)))
        except Exception as exc:
            return Comparison("uncomparable", _at(path, f"comparison failed: {_exc(exc)}"))

    def _dispatch(self, e: Any, a: Any, path: str, depth: int) -> Comparison:
        if isinstance(e, type) or isinstance(a, type):
            return self._classes(e, a, path)
        if _is_callable_value(e) and _is_callable_value(a):
            return self._callable(e, a, path, depth)
        reason = _opaque(e) or _opaque(a)
        if reason:
            return Comparison("uncomparable", _at(path, reason))
        if e is None or a is None:
            if e is None and a is None:
                return Comparison("equal", "both None")
            return self._differs(path, f"{_short(e)} vs {_short(a)}")
        ke, ka = _scalar_kind(e), _scalar_kind(a)
        if ke or ka:
            if ke != ka:
                return self._differs(
                    path, f"{_type_name(e)} {_short(e)} vs {_type_name(a)} {_short(a)}"
                )
            return self._scalar(ke, e, a, path)
        pd = sys.modules.get("pandas")
        if pd is not None and isinstance(e, (pd.DataFrame, pd.Series, pd.Index)):
            if isinstance(e, pd.Index) and isinstance(a, pd.Index):  # RangeIndex vs Index: "equiv"
                return self._index(pd, e, a, path, depth)
            if type(e) is not type(a):
                return self._differs(path, f"type {_type_name(e)} vs {_type_name(a)}")
            if isinstance(e, pd.DataFrame):
                return self._frame(pd, e, a, path, depth)
            return self._series(pd, e, a, path, depth)
        np = sys.modules.get("numpy")
        if np is not None and isinstance(e, np.ndarray) and isinstance(a, np.ndarray):
            return self._array(np, e, a, path, depth)
        if not _same_class(e, a):
            return self._differs(path, f"type {_type_name(e)} vs {_type_name(a)}")
        key = (id(e), id(a))
        if key in self.active:  # a cycle: the pair is being compared further up the path
            return Comparison("equal", "cycle")
        self.active.add(key)
        try:
            return self._structured(e, a, path, depth)
        finally:
            self.active.discard(key)

    def _structured(self, e: Any, a: Any, path: str, depth: int) -> Comparison:
        if _is_statsmodels_results(e):
            return self._statsmodels(e, a, path, depth)
        if _is_estimator(e):
            return self._estimator(e, a, path, depth)
        if isinstance(e, Mapping):
            return self._mapping(e, a, path, depth)
        if isinstance(e, (list, tuple)):
            return self._sequence(e, a, path, depth)
        if isinstance(e, (set, frozenset)):
            return self._set(e, a, path)
        if isinstance(e, collections.abc.MappingView):  # dict.values() has identity equality
            return self._sequence(list(e), list(a), path, depth)
        if dataclasses.is_dataclass(e):
            pairs = [
                (f.name, getattr(e, f.name), getattr(a, f.name)) for f in dataclasses.fields(e)
            ]
            return self._attributes(pairs, path, depth)
        return self._generic(e, a, path, depth)

    # --- results ---------------------------------------------------------------------------

    def _differs(self, path: str, message: str, max_abs_diff: float | None = None) -> Comparison:
        return Comparison("differs", _at(path, message), max_abs_diff)

    def _combine(self, results: Iterable[Comparison], equal_detail: str) -> Comparison:
        """Return the first difference, else the first uncomparable item, else equal."""
        unknown = None
        for result in results:
            if result.verdict == "differs":
                return result
            if result.verdict == "uncomparable" and unknown is None:
                unknown = result
            if self.visits > MAX_VALUES:  # out of budget: the rest cannot change "uncomparable"
                break
        return unknown or Comparison("equal", equal_detail)

    # --- scalars ---------------------------------------------------------------------------

    def _close(self, x: float, y: float) -> bool:
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)  # NaN equals NaN: both runs produced "missing"
        return math.isclose(x, y, rel_tol=self.tol.rtol, abs_tol=self.tol.atol)

    def _scalar(self, kind: str | None, e: Any, a: Any, path: str) -> Comparison:
        if kind == "float":
            x, y = float(e), float(a)
            if self._close(x, y):
                return Comparison("equal", f"equal within {self.tol.describe()}")
            diff = abs(x - y)
            shown = diff if math.isfinite(diff) else None
            return self._differs(
                path, f"{x!r} vs {y!r} (abs diff {diff:.3g}, beyond {self.tol.describe()})", shown
            )
        if kind == "complex":
            x, y = complex(e), complex(a)
            if self._close(x.real, y.real) and self._close(x.imag, y.imag):
                return Comparison("equal", f"equal within {self.tol.describe()}")
            diff = abs(x - y)
            return self._differs(
                path,
                f"{x!r} vs {y!r} (abs diff {diff:.3g}, beyond {self.tol.describe()})",
                diff if math.isfinite(diff) else None,
            )
        if kind == "int":  # integers are counts and ids: exact
            if int(e) == int(a):
                return Comparison("equal", "equal")
            return self._differs(path, f"{int(e)} vs {int(a)}", float(abs(int(e) - int(a))))
        if kind == "bool":
            if bool(e) == bool(a):
                return Comparison("equal", "equal")
            return self._differs(path, f"{bool(e)} vs {bool(a)}")
        # str and bytes: exact, and say where they part
        if e == a:
            return Comparison("equal", "equal")
        at = next(
            (i for i, (x, y) in enumerate(zip(e, a, strict=False)) if x != y), min(len(e), len(a))
        )
        return self._differs(
            path, f"{_short(e)} vs {_short(a)} (first difference at position {at})"
        )

    def _classes(self, e: Any, a: Any, path: str) -> Comparison:
        if isinstance(e, type) and isinstance(a, type) and e.__qualname__ == a.__qualname__:
            return Comparison("equal", f"class {e.__qualname__}")
        return self._differs(path, f"{_short(e)} vs {_short(a)}")

    def _callable(self, e: Any, a: Any, path: str, depth: int) -> Comparison:
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
            return self._attributes(pairs, path, depth)
        ne, na = _library_name(e), _library_name(a)
        if ne is None or na is None:
            return Comparison(
                "uncomparable", _at(path, _opaque(e if ne is None else a) or "not a function")
            )
        if ne != na:
            return self._differs(path, f"function {ne} vs {na}")
        owner_e, owner_a = _bound_to(e), _bound_to(a)
        if owner_e is None and owner_a is None:
            return Comparison("equal", f"the same library function {ne}")
        owner = self.value(owner_e, owner_a, f"{path}.__self__", depth + 1)
        return (
            owner
            if owner.verdict != "equal"
            else Comparison("equal", f"method {ne} of equal objects")
        )

    # --- containers ------------------------------------------------------------------------

    def _sequence(self, e: Any, a: Any, path: str, depth: int) -> Comparison:
        n, m = len(e), len(a)

        def items() -> Iterable[Comparison]:
            for i in range(min(n, m)):
                yield self.value(e[i], a[i], f"{path}[{i}]", depth + 1)

        result = self._atoms(e, a, path, depth)
        if result is None:
            result = self._combine(items(), f"{n} items equal")
        if n == m:
            return result
        if result.verdict == "differs":
            return Comparison(
                "differs", f"{result.detail} (and length {n} vs {m})", result.max_abs_diff
            )
        longer, side = (e, "expected") if n > m else (a, "actual")
        extra = ", ".join(_short(x) for x in longer[min(n, m) : min(n, m) + DETAIL_ROWS])
        return self._differs(path, f"length {n} vs {m}; only in {side}: {extra}")

    def _atoms(self, e: Any, a: Any, path: str, depth: int) -> Comparison | None:
        """Compare sequences of plain scalars in one loop; None when an item is something else."""
        # long lists of ids or scores would otherwise cost one visit (and MAX_VALUES) per item
        first = None
        close = self._close
        for i in range(min(len(e), len(a))):
            x, y = e[i], a[i]
            kind = type(x)
            if kind is not type(y) or kind not in _ATOMS:
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
            return Comparison("equal", f"{len(e)} items equal within {self.tol.describe()}")
        return self.value(e[first], a[first], f"{path}[{first}]", depth + 1)

    def _mapping(
        self, e: Mapping[Any, Any], a: Mapping[Any, Any], path: str, depth: int
    ) -> Comparison:
        missing = [k for k in e if k not in a]
        extra = [k for k in a if k not in e]
        if missing or extra:
            parts = []
            if missing:
                parts.append(
                    f"keys missing from actual: {', '.join(map(_short, missing[:DETAIL_ROWS]))}"
                )
            if extra:
                parts.append(f"keys only in actual: {', '.join(map(_short, extra[:DETAIL_ROWS]))}")
            return self._differs(path, "; ".join(parts))
        return self._combine(
            (self.value(e[k], a[k], f"{path}[{k!r}]", depth + 1) for k in e), f"{len(e)} keys equal"
        )

    def _set(self, e: Any, a: Any, path: str) -> Comparison:
        if e == a:  # elements are hashable, so exact
            return Comparison("equal", f"{len(e)} elements equal")
        parts = []
        for label, items in (("missing from actual", e - a), ("only in actual", a - e)):
            if items:
                shown = sorted(map(_short, items))[:DETAIL_ROWS]
                parts.append(f"{label}: {', '.join(shown)}")
        return self._differs(path, "; ".join(parts))

    def _attributes(
        self, pairs: Iterable[tuple[str, Any, Any]], path: str, depth: int
    ) -> Comparison:
        return self._combine(
            (self.value(x, y, f"{path}.{name}", depth + 1) for name, x, y in pairs),
            "attributes equal",
        )

    # --- models ----------------------------------------------------------------------------

    def _estimator(self, e: Any, a: Any, path: str, depth: int) -> Comparison:
        pe, pa = e.get_params(deep=False), a.get_params(deep=False)
        if set(pe) != set(pa):
            return self._differs(path, f"parameters {sorted(pe)} vs {sorted(pa)}")
        params = self._attributes(((k, pe[k], pa[k]) for k in pe), path, depth)
        if params.verdict == "differs":
            return params
        fe, fa = _fitted(e), _fitted(a)
        if bool(fe) != bool(fa):
            state = (
                "fitted in expected, unfitted in actual"
                if fe
                else "unfitted in expected, fitted in actual"
            )
            return self._differs(path, f"{type(e).__name__} {state}")
        if set(fe) != set(fa):
            only_e, only_a = sorted(set(fe) - set(fa)), sorted(set(fa) - set(fe))
            return self._differs(
                path, f"fitted attributes only in expected: {only_e}; only in actual: {only_a}"
            )
        fitted = self._attributes(((k, fe[k], fa[k]) for k in sorted(fe)), path, depth)
        state = "fitted" if fe else "unfitted"
        return self._combine(
            (params, fitted), f"{type(e).__name__}: parameters and {state} state equal"
        )

    def _statsmodels(self, e: Any, a: Any, path: str, depth: int) -> Comparison:
        me, ma = type(e.model).__qualname__, type(a.model).__qualname__
        if me != ma:
            return self._differs(path, f"model {me} vs {ma}")
        pairs = [("params", e.params, a.params)]
        if hasattr(e, "bse") and hasattr(a, "bse"):
            pairs.append(("bse", e.bse, a.bse))
        result = self._attributes(pairs, path, depth)
        return (
            result
            if result.verdict != "equal"
            else Comparison("equal", f"{me} results: params and bse equal")
        )

    # --- everything else -------------------------------------------------------------------

    def _generic(self, e: Any, a: Any, path: str, depth: int) -> Comparison:
        pickled = _pickled(e)
        if pickled is not None and pickled == _pickled(a):  # the same pickled state: the same value
            return Comparison("equal", "identical pickled state")
        if type(e).__eq__ is not object.__eq__:
            try:
                outcome = e == a
            except Exception:
                outcome = None
            np = sys.modules.get("numpy")
            if type(outcome) is bool or (np is not None and type(outcome) is np.bool_):
                if outcome:
                    return Comparison("equal", "== returned True")
                if type(e) is type(a):  # same class: its own == is the answer
                    return self._differs(path, f"{_short(e)} vs {_short(a)} (== returned False)")
        # identity equality, or the class moved modules: compare the state pickle would save
        return self._reduced(e, a, path, depth)

    def _reduced(self, e: Any, a: Any, path: str, depth: int) -> Comparison:
        try:
            re_, ra = e.__reduce_ex__(4), a.__reduce_ex__(4)
        except Exception as exc:
            reason = f"{_type_name(e)} has no meaningful equality ({_exc(exc)})"
            return Comparison("uncomparable", _at(path, reason))
        if isinstance(re_, str) or isinstance(ra, str):  # a module-level singleton, by name
            if re_ == ra:
                return Comparison("equal", f"same global {re_}")
            return self._differs(path, f"{re_} vs {ra}")
        parts_e, parts_a = _reduce_parts(re_), _reduce_parts(ra)
        if parts_e["constructor"] != parts_a["constructor"]:
            return self._differs(
                path, f"built by {parts_e['constructor']} vs {parts_a['constructor']}"
            )
        results = [self.value(parts_e["args"], parts_a["args"], f"{path}<args>", depth + 1)]
        se, sa = parts_e["state"], parts_a["state"]
        if _is_dict_and_slots(se) and _is_dict_and_slots(sa):
            se, sa = {**(se[0] or {}), **(se[1] or {})}, {**(sa[0] or {}), **(sa[1] or {})}
        if (
            isinstance(se, dict)
            and isinstance(sa, dict)
            and all(isinstance(k, str) for k in (*se, *sa))
        ):
            if set(se) != set(sa):
                return self._differs(path, f"attributes {sorted(se)} vs {sorted(sa)}")
            results.append(self._attributes(((k, se[k], sa[k]) for k in sorted(se)), path, depth))
        else:
            results.append(self.value(se, sa, f"{path}<state>", depth + 1))
        for name in ("items", "dict_items"):
            results.append(self.value(parts_e[name], parts_a[name], f"{path}<{name}>", depth + 1))
        return self._combine(results, f"{_type_name(e)}: state equal")

    # --- numpy -----------------------------------------------------------------------------

    def _mask(self, np: Any, x: Any, y: Any, depth: int) -> tuple[Any, float | None]:
        """Mark the elements that differ (same shapes); return the largest finite absolute difference."""
        kx, ky = x.dtype.kind, y.dtype.kind
        if kx in "iub" and ky in "iub":  # exact: integers are counts, booleans flags
            return np.asarray(x != y), (_max_abs(np, x, y) if kx in "iu" and ky in "iu" else None)
        if kx in "iufc" and ky in "iufc":
            return self._close_mask(np, x, y)
        if kx in "mM" and ky in "mM":
            return np.asarray((x != y) & ~(np.isnat(x) & np.isnat(y))), None
        if kx in "O" or ky in "O":
            return self._object_mask(np, x, y, depth), None
        try:
            return np.asarray(x != y, dtype=bool).reshape(x.shape), None
        except Exception:
            return self._object_mask(np, x.astype(object), y.astype(object), depth), None

    def _close_mask(self, np: Any, x: Any, y: Any) -> tuple[Any, float | None]:
        with np.errstate(all="ignore"):
            diff = np.abs(x - y)
            bound = np.maximum(self.tol.rtol * np.maximum(np.abs(x), np.abs(y)), self.tol.atol)
            same = (x == y) | (np.isnan(x) & np.isnan(y)) | (diff <= bound)
        finite = diff[np.isfinite(diff)]
        return ~same, (float(finite.max()) if finite.size else None)

    def _object_mask(self, np: Any, x: Any, y: Any, depth: int) -> Any:
        mask = np.zeros(x.shape, dtype=bool)
        for index in np.ndindex(x.shape):
            result = self.value(x[index], y[index], "", depth + 1)
            if result.verdict == "uncomparable":
                raise _Uncomparable(f"element {list(index)}: {result.detail}")
            mask[index] = result.verdict == "differs"
        return mask

    def _array(self, np: Any, e: Any, a: Any, path: str, depth: int) -> Comparison:
        if e.shape != a.shape:
            return self._differs(path, f"shape {e.shape} vs {a.shape}")
        if self.tol.check_dtype and e.dtype != a.dtype:
            return self._differs(path, f"dtype {e.dtype} vs {a.dtype}")
        if e.dtype.kind == "O" or a.dtype.kind == "O":
            return self._object_array(np, e, a, path, depth)
        mask, max_abs = self._mask(np, e, a, depth)
        if not mask.any():
            return Comparison(
                "equal", f"array {e.shape} {e.dtype} equal within {self.tol.describe()}", max_abs
            )
        where = [tuple(int(i) for i in ix) for ix in np.argwhere(mask)[:DETAIL_ROWS]]
        shown = "; ".join(
            f"[{', '.join(map(str, ix))}]: {_short(e[ix])} vs {_short(a[ix])}" for ix in where
        )
        summary = f"{int(mask.sum())} of {mask.size} elements differ"
        if max_abs is not None:
            summary += f" (max abs diff {max_abs:.3g}, {self.tol.describe()})"
        return self._differs(path, f"{summary}; first: {shown}", max_abs)

    def _object_array(self, np: Any, e: Any, a: Any, path: str, depth: int) -> Comparison:
        def items() -> Iterable[Comparison]:
            for index in np.ndindex(e.shape):
                label = ", ".join(map(str, index))
                yield self.value(e[index], a[index], f"{path}[{label}]", depth + 1)

        return self._combine(items(), f"object array {e.shape} equal")

    # --- pandas ----------------------------------------------------------------------------

    def _column_mask(
        self, np: Any, pd: Any, x: Any, y: Any, depth: int
    ) -> tuple[Any, float | None, str | None]:
        """Mark differing elements of aligned Series (NA equals NA); say why a cell was uncomparable."""
        nx, ny = np.asarray(x.isna()), np.asarray(y.isna())
        kx, ky = x.dtype.kind, y.dtype.kind
        if (
            kx in "iufcb"
            and ky in "iufcb"
            and not isinstance(x.dtype, pd.CategoricalDtype)
            and not isinstance(y.dtype, pd.CategoricalDtype)
        ):
            if kx in "fc" or ky in "fc":
                target = "complex128" if "c" in (kx, ky) else "float64"
                vx = x.to_numpy(dtype=target, na_value=np.nan)
                vy = y.to_numpy(dtype=target, na_value=np.nan)
                mask, max_abs = self._close_mask(np, vx, vy)
                return mask | (nx != ny), max_abs, None
            vx, vy = _exact_values(np, x), _exact_values(np, y)
            mask, max_abs = self._mask(np, vx, vy, depth)
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
            result = self.value(
                vx[i], vy[i], "", depth + 1
            )  # floats in object columns get the tolerance
            if result.verdict != "differs":
                unequal[i] = False
            if result.verdict == "uncomparable" and unknown is None:
                unknown = f"row {x.index[i]!r}: {result.detail}"
        return unequal | (nx != ny), None, unknown

    def _values_detail(self, pd: Any, e: Any, a: Any, masks: list[Any], labels: list[Any]) -> str:
        """Show the head of the differing rows, expected and actual side by side per column."""
        import numpy as np

        rows = np.flatnonzero(np.logical_or.reduce(masks))
        columns = [j for j, m in enumerate(masks) if m.any()]
        head = rows[:DETAIL_ROWS]
        table = {}
        for j in columns[:DETAIL_COLUMNS]:
            name = str(labels[j])
            table[(name, "expected")] = _column(e, j).iloc[head].to_numpy(dtype=object)
            table[(name, "actual")] = _column(a, j).iloc[head].to_numpy(dtype=object)
        shown = pd.DataFrame(table, index=e.index[head]).to_string(max_colwidth=40)
        names = ", ".join(repr(labels[j]) for j in columns[:DETAIL_COLUMNS])
        more = f" (+{len(columns) - DETAIL_COLUMNS} more)" if len(columns) > DETAIL_COLUMNS else ""
        return (
            f"{len(rows)} of {len(e)} rows differ in column{'s' if len(columns) > 1 else ''} "
            f"{names}{more}; first {len(head)}:\n{shown}"
        )

    def _index_difference(self, pd: Any, e: Any, a: Any, what: str, depth: int) -> str | None:
        try:
            pd.testing.assert_index_equal(
                e, a, exact="equiv", check_exact=False, rtol=self.tol.rtol, atol=self.tol.atol
            )
            return None
        except AssertionError as exc:
            if len(e) != len(a):
                return f"{what} length {len(e)} vs {len(a)}"
            if self.tol.check_dtype and e.dtype != a.dtype:
                return f"{what} dtype {e.dtype} vs {a.dtype}"
            for i, (x, y) in enumerate(zip(e, a, strict=False)):
                if self.value(x, y, "", depth + 1).verdict != "equal":
                    return f"{what} differs at position {i}: {_short(x)} vs {_short(y)}"
            if e.names != a.names:
                return f"{what} names {list(e.names)} vs {list(a.names)}"
            return f"{what} differs: {_assertion(exc)}"

    def _index(self, pd: Any, e: Any, a: Any, path: str, depth: int) -> Comparison:
        problem = self._index_difference(pd, e, a, "index", depth)
        return (
            self._differs(path, problem)
            if problem
            else Comparison("equal", f"index of {len(e)} equal")
        )

    def _series(self, pd: Any, e: Any, a: Any, path: str, depth: int) -> Comparison:
        import numpy as np

        if len(e) != len(a):
            return self._differs(path, f"Series length {len(e)} vs {len(a)}")
        problem = self._index_difference(pd, e.index, a.index, "index", depth)
        if problem:
            return self._differs(path, problem)
        if e.name != a.name:
            return self._differs(path, f"Series name {e.name!r} vs {a.name!r}")
        parts = []
        if self.tol.check_dtype and e.dtype != a.dtype:
            parts.append(_dtypes(pd, e.dtype, a.dtype))
        mask, max_abs, unknown = self._column_mask(np, pd, e, a, depth)
        if mask.any():
            label = "values" if e.name is None else e.name
            parts.append(self._values_detail(pd, e.to_frame(), a.to_frame(), [mask], [label]))
        if not parts and not unknown:  # pandas would count uncomparable cells as different
            try:
                pd.testing.assert_series_equal(
                    e,
                    a,
                    check_exact=False,
                    rtol=self.tol.rtol,
                    atol=self.tol.atol,
                    check_dtype=self.tol.check_dtype,
                )
            except AssertionError as exc:
                parts.append(_assertion(exc))
        if parts:
            return self._differs(path, "; ".join(parts), max_abs)
        if unknown:
            return Comparison("uncomparable", _at(path, unknown))
        return Comparison(
            "equal", f"Series of {len(e)} equal within {self.tol.describe()}", max_abs
        )

    def _frame(self, pd: Any, e: Any, a: Any, path: str, depth: int) -> Comparison:
        import numpy as np

        if e.shape != a.shape or not e.columns.equals(a.columns):
            gone = [c for c in e.columns if c not in a.columns]
            new = [c for c in a.columns if c not in e.columns]
            parts = [f"shape {e.shape} vs {a.shape}"] if e.shape != a.shape else []
            if gone:
                parts.append(f"columns missing from actual: {gone[:DETAIL_ROWS]}")
            if new:
                parts.append(f"columns only in actual: {new[:DETAIL_ROWS]}")
            if not gone and not new and e.shape[1] == a.shape[1]:
                parts.append(f"column order {list(e.columns)[:10]} vs {list(a.columns)[:10]}")
            if parts:
                return self._differs(path, "; ".join(parts))
        problem = self._index_difference(pd, e.index, a.index, "index", depth)
        if problem:
            return self._differs(path, problem)
        parts, masks, diffs, unknown = [], [], [], None
        dtypes = [
            f"{e.columns[j]!r}: {_dtypes(pd, e.dtypes.iloc[j], a.dtypes.iloc[j]).removeprefix('dtype ')}"
            for j in range(e.shape[1])
            if e.dtypes.iloc[j] != a.dtypes.iloc[j]
        ]
        if dtypes and self.tol.check_dtype:
            parts.append(f"dtypes differ: {', '.join(dtypes[:DETAIL_ROWS])}")
        for j in range(e.shape[1]):
            mask, max_abs, cell = self._column_mask(np, pd, _column(e, j), _column(a, j), depth)
            unknown = unknown or (f"column {e.columns[j]!r} {cell}" if cell else None)
            masks.append(mask)
            if max_abs is not None:
                diffs.append(max_abs)
        max_abs_diff = max(diffs) if diffs else None
        if masks and any(m.any() for m in masks):
            parts.append(self._values_detail(pd, e, a, masks, list(e.columns)))
        if (
            not parts and not unknown
        ):  # names, categories, frequencies: pandas' checks beyond values
            try:
                pd.testing.assert_frame_equal(
                    e,
                    a,
                    check_exact=False,
                    rtol=self.tol.rtol,
                    atol=self.tol.atol,
                    check_dtype=self.tol.check_dtype,
                )
            except AssertionError as exc:
                parts.append(_assertion(exc))
        if parts:
            return self._differs(path, "; ".join(parts), max_abs_diff)
        if unknown:
            return Comparison("uncomparable", _at(path, unknown))
        return Comparison(
            "equal",
            f"DataFrame {e.shape[0]}×{e.shape[1]} equal within {self.tol.describe()}",
            max_abs_diff,
        )


def _dtypes(pd: Any, x: Any, y: Any) -> str:
    """Describe two differing dtypes, with the categories when that is where they differ."""
    if isinstance(x, pd.CategoricalDtype) and isinstance(y, pd.CategoricalDtype):
        shown = [list(d.categories)[: DETAIL_ROWS * 2] for d in (x, y)]
        ordered = "" if x.ordered == y.ordered else f", ordered {x.ordered} vs {y.ordered}"
        return f"dtype category: categories {shown[0]} vs {shown[1]}{ordered}"
    return f"dtype {x} vs {y}"


def _is_dict_and_slots(state: object) -> bool:
    """Recognise the (__dict__, slots) state object.__reduce_ex__ gives for slotted classes."""
    return (
        isinstance(state, tuple)
        and len(state) == 2
        and all(part is None or isinstance(part, dict) for part in state)
    )


def _pickled(value: object) -> bytes | None:
    try:
        return pickle.dumps(value, protocol=5)
    except Exception:
        return None


def _column(frame: Any, j: int) -> Any:
    return frame.iloc[:, j]


def _exact_values(np: Any, series: Any) -> Any:
    """Return the integer or boolean values of a Series, NA filled (masked separately)."""
    dtype = getattr(series.dtype, "numpy_dtype", series.dtype)
    fill = False if np.dtype(dtype).kind == "b" else 0
    return series.to_numpy(dtype=dtype, na_value=fill)


def _max_abs(np: Any, x: Any, y: Any) -> float | None:
    if x.size == 0:
        return None
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(x.astype("float64") - y.astype("float64"))))


def _assertion(exc: AssertionError) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " / ".join(lines[:4])[:400] or "pandas reports a difference"


def _reduce_parts(reduced: Any) -> dict[str, Any]:
    """Name the parts of a __reduce_ex__ tuple; iterators become lists so they compare."""
    parts = list(reduced) + [None] * (5 - len(reduced))
    constructor = parts[0]
    return {
        "constructor": f"{getattr(constructor, '__module__', '')}."
        f"{getattr(constructor, '__qualname__', constructor)}",
        "args": parts[1],
        "state": parts[2],
        "items": list(parts[3]) if parts[3] is not None else None,
        "dict_items": list(parts[4]) if parts[4] is not None else None,
    }
