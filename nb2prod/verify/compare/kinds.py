"""What kind of value this is: scalar families, display objects, values with no equality."""

from __future__ import annotations

import collections.abc
import datetime
import functools
import inspect
import io
import numbers
import sys
import types

from .render import type_name

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
# Scalars a list of which compares in one loop (no visit per item).
ATOMS = frozenset({int, float, str, bytes, bool, complex, type(None)})
_FUNCTIONS = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, functools.partial)
_ITERATORS = (
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    collections.abc.Iterator,
)


def scalar_kind(value: object) -> str | None:
    """Return the scalar family whose members compare with each other, or None."""
    for kind, cls in (
        ("bool", bool),
        ("int", int),
        ("float", float),
        ("complex", complex),
        ("str", str),
        ("bytes", bytes),
    ):
        if isinstance(value, cls):
            return kind
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
    elif str(getattr(value, "dtype", "")) == "object":
        ravel = getattr(value, "ravel", None)
        items = list(ravel()) if callable(ravel) else []
    return bool(items) and all(is_display_only(item, depth + 1) for item in items)


def is_duration(value: object) -> bool:
    """A number, duration or time: what a clock reading can be (bools are flags, not readings)."""
    readings = (numbers.Real, datetime.timedelta, datetime.datetime)
    return isinstance(value, readings) and not isinstance(value, bool)


def answers_anything(value: object) -> bool:
    """Detect objects that invent attributes on demand (mocks), for which duck typing means nothing."""
    return hasattr(type(value), "__getattr__") and hasattr(
        value, "_nb2prod_surely_not_an_attribute"
    )


def opaque(value: object) -> str | None:
    """Say why a value has no meaningful equality, or return None when it has one."""
    if answers_anything(value):
        return f"{type_name(value)}: invents attributes on demand (a mock?), so its state means nothing"
    if is_display_object(value):
        return f"{type_name(value)}: a plot or image object has no meaningful equality"
    if isinstance(value, io.IOBase):
        return f"{type_name(value)}: an open file or stream has no meaningful equality"
    if isinstance(value, _ITERATORS):
        return f"{type_name(value)}: an iterator cannot be compared without consuming it"
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__}: modules are not values"
    if isinstance(value, _FUNCTIONS):
        name = getattr(value, "__qualname__", "")
        return f"{type_name(value)} {name}: functions are compared by what they return"
    return None


def is_callable_value(value: object) -> bool:
    """A function, method or partial: compared by name, not by state."""
    return isinstance(value, _FUNCTIONS)


def is_behaviour(value: object) -> bool:
    """A function, method, partial, numpy ufunc or module: what an object uses, not what it holds."""
    return (
        inspect.isroutine(value)
        or isinstance(value, (functools.partial, types.ModuleType))
        or type(value).__name__ == "ufunc"
    )


def bound_to(value: object) -> object | None:
    """The object a method is bound to; None for plain functions (a builtin's module counts as none)."""
    owner = getattr(value, "__self__", None)
    return None if owner is None or isinstance(owner, types.ModuleType) else owner


def library_name(value: object) -> str | None:
    """`module.qualname` when importing that name gives back this very function, else None.

    That rules out lambdas, nested functions and whatever the notebook (`__main__`) or the
    generated package defined; what is left is a library function, the same code in both runs.
    """
    owner = bound_to(value)
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


def is_statsmodels_results(value: object) -> bool:
    """A fitted-model results object: `params` and `model`, and statsmodels or `bse`."""
    # `bse` as well, outside statsmodels: a record that merely has .params and .model keeps
    # all its fields compared instead of only two
    module = type(value).__module__ or ""
    return (
        not isinstance(value, type)
        and hasattr(value, "params")
        and hasattr(value, "model")
        and (module.split(".")[0] in ("statsmodels", "linearmodels") or hasattr(value, "bse"))
    )


def is_estimator(value: object) -> bool:
    """A scikit-learn style estimator: `get_params` and `fit`."""
    return (
        not isinstance(value, type)
        and callable(getattr(value, "get_params", None))
        and callable(getattr(value, "fit", None))
    )
