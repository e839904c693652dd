"""Which comparer a pair of values goes to, by kind; library types through `registry.register`."""

from __future__ import annotations

import collections.abc
import dataclasses
import sys
from collections.abc import Mapping
from typing import Any

from . import arrays, containers, objects, registry
from .core import Comparison, Session, at
from .kinds import is_callable_value, opaque, scalar_kind
from .objects import PublicState, RunFunction
from .render import short, type_name

_VIEWS = (collections.abc.KeysView, collections.abc.ValuesView, collections.abc.ItemsView)


def _same_class(expected: object, actual: object) -> bool:
    """Tell whether two values share a class, or its qualified name (a class moved into a module)."""
    te, ta = type(expected), type(actual)
    return te is ta or te.__qualname__ == ta.__qualname__


def dispatch(s: Session, e: Any, a: Any, path: str, depth: int) -> Comparison:
    """Compare two values by their kind; `Session.value` calls this for every value it visits."""
    if isinstance(e, RunFunction) or isinstance(a, RunFunction):
        return objects.run_function(s, e, a, path)
    if isinstance(e, type) or isinstance(a, type):
        return containers.classes(s, e, a, path)
    if is_callable_value(e) and is_callable_value(a):
        return containers.callables(s, e, a, path, depth)
    reason = opaque(e) or opaque(a)
    if reason:
        return Comparison("uncomparable", at(path, reason))
    if e is None or a is None:
        if e is None and a is None:
            return Comparison("equal", "both None")
        return s.differs(path, f"{short(e)} vs {short(a)}")
    ke, ka = scalar_kind(e), scalar_kind(a)
    if ke or ka:
        if ke != ka:
            return s.differs(path, f"{type_name(e)} {short(e)} vs {type_name(a)} {short(a)}")
        return containers.scalar(s, ke, e, a, path)
    pd = sys.modules.get("pandas")
    np = sys.modules.get("numpy")
    if pd is not None and isinstance(e, (pd.DataFrame, pd.Series, pd.Index)):
        if isinstance(e, pd.Index) and isinstance(a, pd.Index):  # RangeIndex vs Index: "equiv"
            return arrays.index(s, pd, e, a, path, depth)
        if type(e) is not type(a):
            return s.differs(path, f"type {type_name(e)} vs {type_name(a)}")
        if isinstance(e, pd.DataFrame):
            return arrays.frame(s, np, pd, e, a, path, depth)
        return arrays.series(s, np, pd, e, a, path, depth)
    if np is not None and isinstance(e, np.ndarray) and isinstance(a, np.ndarray):
        return arrays.array(s, np, e, a, path, depth)
    if isinstance(e, PublicState) or isinstance(a, PublicState):
        # one run described an object of its own class: describe the other side alike
        e = e if isinstance(e, PublicState) else objects.described(e)
        a = a if isinstance(a, PublicState) else objects.described(a)
        return objects.run_state(s, e, a, path, depth)
    if not _same_class(e, a):
        return s.differs(path, f"type {type_name(e)} vs {type_name(a)}")
    key = (id(e), id(a))
    if key in s.active:  # a cycle: the pair is being compared further up the path
        return Comparison("equal", "cycle")
    s.active.add(key)
    try:
        return _structured(s, e, a, path, depth)
    finally:
        s.active.discard(key)


def _structured(s: Session, e: Any, a: Any, path: str, depth: int) -> Comparison:
    describe = registry.describer(e)
    if describe is not None:
        return objects.by_parts(s, e, a, describe, path, depth)
    if isinstance(e, Mapping):
        return containers.mapping(s, e, a, path, depth)
    if isinstance(e, (list, tuple)):
        return containers.sequence(s, e, a, path, depth)
    if isinstance(e, (set, frozenset)):
        return containers.sets(s, e, a, path)
    if isinstance(e, _VIEWS) and isinstance(a, _VIEWS):  # dict.values() has identity equality
        return containers.sequence(s, [*e], [*a], path, depth)
    if dataclasses.is_dataclass(e):
        # the fields its own == would compare; public ones when it has any
        fields = [f.name for f in dataclasses.fields(e) if f.compare]
        public = [name for name in fields if not name.startswith("_")] or fields
        return s.attributes(
            ((name, getattr(e, name), getattr(a, name)) for name in public), path, depth
        )
    return objects.generic(s, e, a, path, depth)
