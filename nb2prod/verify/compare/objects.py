"""Objects: compared by what they mean, never by private attributes, caches or scratch buffers.

A type with a registered comparer (`registry.py`) compares by the parts its `describe` returns:
the built-in ones below say what a scikit-learn estimator, a statsmodels model, its results and
its family mean. Any other object compares by its public stored state: the entries of its
`__dict__` and `__slots__` whose names do not start with `_`, leaving out functions stored on it
and lazily cached properties. Only an object with no public state at all compares by the state
pickle would save, and the detail says so.
"""

from __future__ import annotations

import functools
import pickle
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .core import Comparison, Session, at, exception_text
from .kinds import is_behaviour
from .render import short, type_name

NO_PUBLIC_STATE = "no public attributes: compared by the state pickle saves, private included"


@dataclass(frozen=True, slots=True)
class PublicState:
    """An object of a class the notebook (or the package) defined, as its own run described it.

    Such a class exists only in that run (`__main__`, or the generated package), so the capture
    keeps a plain description next to the pickled object: the class's qualified name and its
    public state (`private`: it had none, so this is all of its stored state).
    """

    type: str
    state: Mapping[str, Any]
    private: bool = False


def _is_timing(name: str) -> bool:
    return name.rstrip("_").endswith("_time")


# --- the built-in descriptions ---------------------------------------------------------------


def fitted_state(estimator: object) -> dict[str, Any]:
    """Collect the fitted attributes the way scikit-learn's check_is_fitted finds them.

    Wall-clock timings (`refit_time_`, the `*_fit_time`/`*_score_time` columns of a search's
    `cv_results_`) are measurements of the machine, not of the model: they are left out.
    """
    state = getattr(estimator, "__dict__", None) or {}
    fitted = {
        k: state[k]
        for k in sorted(state)
        if k.endswith("_") and not k.startswith("_") and not _is_timing(k)
    }
    for name, value in fitted.items():
        if isinstance(value, dict) and any(isinstance(k, str) and _is_timing(k) for k in value):
            fitted[name] = {
                k: v for k, v in value.items() if not (isinstance(k, str) and _is_timing(k))
            }
    return fitted


def estimator(value: Any) -> dict[str, Any]:
    """A scikit-learn estimator: `get_params(deep=False)`, then its fitted attributes (`coef_`)."""
    return {**value.get_params(deep=False), **fitted_state(value)}


# What a fitted statsmodels results object says about the fit; a results class that lacks one
# (GLM has no rsquared) leaves it out.
RESULTS_PARTS = (
    "params",
    "bse",
    "fittedvalues",
    "llf",
    "aic",
    "bic",
    "rsquared",
    "rsquared_adj",
    "deviance",
    "nobs",
    "df_model",
    "df_resid",
)
# What a statsmodels model is made of, besides the arguments its class can be rebuilt from.
MODEL_PARTS = ("endog", "exog", "endog_names", "exog_names", "formula")


def _readable(value: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The named attributes the value has; one that raises or warns its way out is left out."""
    parts: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns about bic's definition, and others
        for name in names:
            try:
                parts[name] = getattr(value, name)
            except Exception:
                continue
    return parts


def statsmodels_results(value: Any) -> dict[str, Any]:
    """Results of a fit: `params`, `bse`, `fittedvalues`, `llf`, ..., then the model it fitted."""
    return {**_readable(value, RESULTS_PARTS), "model": value.model}


def statsmodels_model(value: Any) -> dict[str, Any]:
    """A model, fitted or not: its data and their names, its formula, its other arguments.

    Never its caches (`.data._cache`) or the buffers a fit leaves on it (`_tmp_like_exog`).
    """
    parts = _readable(value, MODEL_PARTS)
    init = getattr(value, "_get_init_kwds", None)  # statsmodels' own record, to rebuild a model
    if callable(init):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arguments = init()
        parts.update((k, arguments[k]) for k in sorted(arguments) if k not in parts)
    return parts


def statsmodels_family(value: Any) -> dict[str, Any]:
    """A GLM family: its link and variance functions (the link is a private attribute)."""
    parts = {"link": getattr(value, "link", None), "variance": getattr(value, "variance", None)}
    return {**public_state(value), **parts}


# --- comparing by parts --------------------------------------------------------------------------


def by_parts(
    s: Session,
    e: Any,
    a: Any,
    describe: Callable[[Any], Mapping[str, Any]],
    path: str,
    depth: int,
) -> Comparison:
    """Compare two objects by the parts `describe` finds: the shared ones, then the missing ones."""
    pe, pa = dict(describe(e)), dict(describe(a))
    return _compare_parts(s, type(e).__name__, pe, pa, path, depth)


def _compare_parts(
    s: Session, kind: str, pe: Mapping[str, Any], pa: Mapping[str, Any], path: str, depth: int
) -> Comparison:
    shared = [k for k in pe if k in pa]
    result = s.attributes(((k, pe[k], pa[k]) for k in shared), path, depth)
    if result.verdict == "differs":
        return result
    only_e, only_a = [k for k in pe if k not in pa], [k for k in pa if k not in pe]
    if only_e or only_a:
        missing = []
        if only_e:
            missing.append(f"only in expected: {', '.join(only_e[:10])}")
        if only_a:
            missing.append(f"only in actual: {', '.join(only_a[:10])}")
        return s.differs(path, f"{kind}: " + "; ".join(missing))
    if result.verdict != "equal":
        return result
    shown = ", ".join(shared[:6]) + (", ..." if len(shared) > 6 else "")
    return Comparison("equal", f"{kind}: {shown or 'no parts'} equal")


# --- any other object: its public state ---------------------------------------------------------


def _class_attribute(cls: type, name: str) -> object:
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def stored_state(value: object) -> dict[str, Any]:
    """Every attribute stored on the object: its `__dict__`, then its `__slots__` that are set."""
    state = dict(getattr(value, "__dict__", None) or {})
    for klass in type(value).__mro__:
        slots = vars(klass).get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and name not in state:
                try:
                    state[name] = getattr(value, name)
                except AttributeError:  # declared, never set
                    continue
    return state


def public_state(value: object) -> dict[str, Any]:
    """The stored attributes that say what the object is, by name.

    Left out: names starting with `_` (private attributes, caches, buffers, the time a fitter
    records), functions, methods, ufuncs and modules stored on it (what it uses, not what it
    holds), and values a `functools.cached_property` computed on demand (a lazy cache).
    """
    cls = type(value)
    public = {
        k: v
        for k, v in stored_state(value).items()
        if isinstance(k, str)
        and not k.startswith("_")
        and not is_behaviour(v)
        and not isinstance(_class_attribute(cls, k), functools.cached_property)
    }
    return {k: public[k] for k in sorted(public)}


@dataclass(frozen=True, slots=True)
class RunFunction:
    """A function of the notebook (or the package) held inside a value, read back where its
    run's module does not exist (a search's `refit=` strategy): its qualified name.

    The conversion moves such a function into the package under the same name; what it does is
    judged by the values it makes (the search's `best_index_`), compared like any other.
    """

    name: str


def run_function(s: Session, e: object, a: object, path: str) -> Comparison:
    """Compare a function only its run knows with the other run's, by qualified name."""
    ne, na = (
        x.name if isinstance(x, RunFunction) else getattr(x, "__qualname__", None) for x in (e, a)
    )
    if not isinstance(ne, str) or not isinstance(na, str):
        return s.differs(path, f"{short(e)} vs {short(a)}")
    if ne != na:
        return s.differs(path, f"function {ne} vs {na}")
    return Comparison("equal", f"the run's own function {ne}, by name")


def run_state(s: Session, e: PublicState, a: PublicState, path: str, depth: int) -> Comparison:
    """Compare two objects of the notebook's (or package's) own class, as their runs described them."""
    if e.type != a.type:
        return s.differs(path, f"type {e.type} vs {a.type}")
    result = _compare_parts(s, e.type, e.state, a.state, path, depth)
    if e.private or a.private:
        return _said(result, NO_PUBLIC_STATE)
    return result


def described(value: object) -> PublicState:
    """Describe an object as the capture describes one of a class only its run knows."""
    public = public_state(value)
    stored = {} if public else stored_state(value)
    return PublicState(type(value).__qualname__, public or stored, private=bool(stored))


def _said(result: Comparison, note: str) -> Comparison:
    return Comparison(result.verdict, f"{result.detail} ({note})", result.max_abs_diff)


def _pickled(value: object) -> bytes | None:
    try:
        return pickle.dumps(value, protocol=5)
    except Exception:
        return None


def generic(s: Session, e: Any, a: Any, path: str, depth: int) -> Comparison:
    """Compare any other object: pickled bytes, its own `==`, its public state, its pickled state."""
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
    pe, pa = public_state(e), public_state(a)
    if pe or pa:
        return _compare_parts(s, type(e).__name__, pe, pa, path, depth)
    # nothing public (a C type's state lives in its constructor arguments): what pickle saves
    result = _reduced(s, e, a, path, depth)
    return _said(result, NO_PUBLIC_STATE)


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
        if set(se) != set(sa):
            return s.differs(path, f"attributes {sorted(se)} vs {sorted(sa)}")
        results.append(s.attributes(((k, se[k], sa[k]) for k in sorted(se)), path, depth))
    else:
        results.append(s.value(se, sa, f"{path}<state>", depth + 1))
    for name in ("items", "dict_items"):
        results.append(s.value(parts_e[name], parts_a[name], f"{path}<{name}>", depth + 1))
    return s.combine(results, f"{type_name(e)}: state equal")
