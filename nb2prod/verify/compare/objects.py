"""Models and other objects: estimators and statsmodels results by public fitted state, the rest
by `==` or by the state pickle would save."""

from __future__ import annotations

import pickle
import sys
from typing import Any

from .core import Comparison, Session, at, exception_text
from .kinds import is_library_class
from .render import short, type_name


def _is_timing(name: str) -> bool:
    return name.rstrip("_").endswith("_time")


def fitted_state(estimator: object) -> dict[str, Any]:
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


def estimator(s: Session, e: Any, a: Any, path: str, depth: int) -> Comparison:
    """Compare estimators: `get_params(deep=False)`, fitted or not, then the fitted attributes."""
    pe, pa = e.get_params(deep=False), a.get_params(deep=False)
    if set(pe) != set(pa):
        return s.differs(path, f"parameters {sorted(pe)} vs {sorted(pa)}")
    params = s.attributes(((k, pe[k], pa[k]) for k in pe), path, depth)
    if params.verdict == "differs":
        return params
    fe, fa = fitted_state(e), fitted_state(a)
    if bool(fe) != bool(fa):
        state = (
            "fitted in expected, unfitted in actual"
            if fe
            else "unfitted in expected, fitted in actual"
        )
        return s.differs(path, f"{type(e).__name__} {state}")
    if set(fe) != set(fa):
        only_e, only_a = sorted(set(fe) - set(fa)), sorted(set(fa) - set(fe))
        return s.differs(
            path, f"fitted attributes only in expected: {only_e}; only in actual: {only_a}"
        )
    fitted = s.attributes(((k, fe[k], fa[k]) for k in sorted(fe)), path, depth)
    state = "fitted" if fe else "unfitted"
    return s.combine((params, fitted), f"{type(e).__name__}: parameters and {state} state equal")


def statsmodels_results(s: Session, e: Any, a: Any, path: str, depth: int) -> Comparison:
    """Compare fitted-model results by model class, `params` and `bse` (never by identity)."""
    me, ma = type(e.model).__qualname__, type(a.model).__qualname__
    if me != ma:
        return s.differs(path, f"model {me} vs {ma}")
    pairs = [("params", e.params, a.params)]
    if hasattr(e, "bse") and hasattr(a, "bse"):
        pairs.append(("bse", e.bse, a.bse))
    result = s.attributes(pairs, path, depth)
    if result.verdict != "equal":
        return result
    return Comparison("equal", f"{me} results: params and bse equal")


def _pickled(value: object) -> bytes | None:
    try:
        return pickle.dumps(value, protocol=5)
    except Exception:
        return None


def generic(s: Session, e: Any, a: Any, path: str, depth: int) -> Comparison:
    """Compare any other object: pickled bytes, then its own `==`, then its pickled state."""
    pickled = _pickled(e)
    if pickled is not None and pickled == _pickled(a):  # the same pickled state: the same value
        return Comparison("equal", "identical pickled state")
    if getattr(type(e), "__eq__", None) is not object.__eq__:
        try:
            outcome = e == a
        except Exception:
            outcome = None
        np = sys.modules.get("numpy")
        if type(outcome) is bool or (np is not None and type(outcome) is np.bool_):
            if outcome:
                return Comparison("equal", "== returned True")
            if type(e) is type(a):  # same class: its own == is the answer
                return s.differs(path, f"{short(e)} vs {short(a)} (== returned False)")
    # identity equality, or the class moved modules: compare the state pickle would save
    return _reduced(s, e, a, path, depth)


def _is_dict_and_slots(state: object) -> bool:
    """Recognise the (__dict__, slots) state object.__reduce_ex__ gives for slotted classes."""
    return (
        isinstance(state, tuple)
        and len(state) == 2
        and all(part is None or isinstance(part, dict) for part in state)
    )


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


def _public(state: dict[str, Any], cls: type) -> dict[str, Any]:
    """A library object's public attributes (private ones are caches and buffers), if it has any."""
    if not is_library_class(cls):
        return state
    public = {k: v for k, v in state.items() if not k.startswith("_")}
    return public or state


def _reduced(s: Session, e: Any, a: Any, path: str, depth: int) -> Comparison:
    try:
        re_, ra = e.__reduce_ex__(4), a.__reduce_ex__(4)
    except Exception as exc:
        reason = f"{type_name(e)} has no meaningful equality ({exception_text(exc)})"
        return Comparison("uncomparable", at(path, reason))
    if isinstance(re_, str) or isinstance(ra, str):  # a module-level singleton, by name
        if re_ == ra:
            return Comparison("equal", f"same global {re_}")
        return s.differs(path, f"{re_} vs {ra}")
    parts_e, parts_a = _reduce_parts(re_), _reduce_parts(ra)
    if parts_e["constructor"] != parts_a["constructor"]:
        return s.differs(path, f"built by {parts_e['constructor']} vs {parts_a['constructor']}")
    results = [s.value(parts_e["args"], parts_a["args"], f"{path}<args>", depth + 1)]
    se, sa = parts_e["state"], parts_a["state"]
    if _is_dict_and_slots(se) and _is_dict_and_slots(sa):
        se, sa = {**(se[0] or {}), **(se[1] or {})}, {**(sa[0] or {}), **(sa[1] or {})}
    if (
        isinstance(se, dict)
        and isinstance(sa, dict)
        and all(isinstance(k, str) for k in (*se, *sa))
    ):
        se, sa = _public(se, type(e)), _public(sa, type(a))
        if set(se) != set(sa):
            return s.differs(path, f"attributes {sorted(se)} vs {sorted(sa)}")
        results.append(s.attributes(((k, se[k], sa[k]) for k in sorted(se)), path, depth))
    else:
        results.append(s.value(se, sa, f"{path}<state>", depth + 1))
    for name in ("items", "dict_items"):
        results.append(s.value(parts_e[name], parts_a[name], f"{path}<{name}>", depth + 1))
    return s.combine(results, f"{type_name(e)}: state equal")
