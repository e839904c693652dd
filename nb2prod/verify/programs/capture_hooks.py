# What crosses a function boundary, as the notebook's kernel and the package run see it.
#
# Runs first in both, before any code of theirs: `__nb2prod_capture__` pickles a function's
# returned values to $NB2PROD_CAPTURE_DIR/<function>.pkl, with a digest of the global random
# generators at that point and plain descriptions of the run's own objects beside them;
# `__nb2prod_modules__` lists the modules the run imported in __modules__.json;
# nb2prod.verify.capture reads both back and imports the markers below from here.
# `__nb2prod_arguments__` records the types of a function's arguments (JSON, beside the
# returned values' types in the pickle), for the annotations of the generated package.
# `__nb2prod_reseed__` serves verify's second run that starts the generators elsewhere. In a kernel this shares the notebook's namespace:
# every name starts with __nb2prod, and annotations that a kernel of an older Python could
# not evaluate are strings.
import sys as __nb2prod_sys
import typing as __nb2prod_typing

__nb2prod_baseline__ = set(__nb2prod_sys.modules)  # what the kernel itself had loaded

if __nb2prod_typing.TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

# Stored in place of a value: it could not be pickled ("<marker>: <why>").
__nb2prod_UNCAPTURABLE__ = "__nb2prod_uncapturable__"
# Stored in place of a value that a later statement of its cell changes.
__nb2prod_NOT_AT_BOUNDARY__ = "__nb2prod_not_at_boundary__"
# Key of the stand-in for an unpicklable mapping: {<key>: "module.Type", "items": {...}}.
__nb2prod_SURROGATE__ = "__nb2prod_surrogate__"
# Keys stored beside the values (never a variable's name): a digest of the global random
# generators' states at the boundary, and {name: pickled description} for each value holding
# objects of the run's own classes (defined in the notebook, or the generated package), which
# nb2prod cannot unpickle: {<OBJECT>: "Qualname", "state": {public name: value}, "private": bool}.
__nb2prod_RANDOM_STATE__ = "__nb2prod_random_state__"
__nb2prod_PUBLIC__ = "__nb2prod_public__"
__nb2prod_OBJECT__ = "__nb2prod_object__"
# Key stored beside the values: {name: type} (`__nb2prod_type_name__`) of each returned value.
__nb2prod_TYPES__ = "__nb2prod_types__"
__nb2prod_own_classes__: "dict[type, bool]" = {}


def __nb2prod_capture__(
    function: str, values: "Mapping[str, Callable[[], object]]", skip: "Collection[str]" = ()
) -> None:
    """Pickle each value (from its getter) on its own: a bad value spoils only itself."""
    import collections.abc
    import contextlib
    import os
    import pickle

    folder = os.environ.get("NB2PROD_CAPTURE_DIR")
    if not folder:
        return
    stored: dict[str, object] = {__nb2prod_RANDOM_STATE__: __nb2prod_random_digest__()}
    public: dict[str, bytes] = {}
    types: dict[str, str] = {}
    for name, getter in values.items():
        if name in skip:
            stored[name] = __nb2prod_NOT_AT_BOUNDARY__
            continue
        value = None
        try:
            value = getter()
            stored[name] = pickle.dumps(value)
        except Exception as exc:
            stored[name] = f"{__nb2prod_UNCAPTURABLE__}: {type(exc).__name__}: {str(exc)[:200]}"
            # a mapping holding a file (numpy's NpzFile): its type and items are what it holds
            with contextlib.suppress(Exception):
                if isinstance(value, collections.abc.Mapping):
                    kind = type(value).__module__ + "." + type(value).__qualname__
                    stored[name] = pickle.dumps({__nb2prod_SURROGATE__: kind, "items": dict(value)})
        with contextlib.suppress(Exception):  # no description: the value stays as pickled
            described, changed = __nb2prod_described__(value, [0], set())
            if changed:
                public[name] = pickle.dumps(described)
        if not isinstance(stored[name], str):  # captured: its type too
            with contextlib.suppress(Exception):
                types[name] = __nb2prod_type_name__(value, 0)
    if public:
        stored[__nb2prod_PUBLIC__] = public
    stored[__nb2prod_TYPES__] = types
    with open(os.path.join(folder, function + ".pkl"), "wb") as handle:
        pickle.dump(stored, handle)


def __nb2prod_arguments__(function: str, values: "Mapping[str, Callable[[], object]]") -> None:
    """Record the type of each argument (a getter that fails, as for an unbound name: none)."""
    import contextlib
    import json
    import os

    folder = os.environ.get("NB2PROD_CAPTURE_DIR")
    if not folder:
        return
    types: dict[str, str] = {}
    for name, getter in values.items():
        with contextlib.suppress(Exception):
            types[name] = __nb2prod_type_name__(getter(), 0)
    with (
        contextlib.suppress(Exception),
        open(os.path.join(folder, function + ".arguments.json"), "w", encoding="utf-8") as handle,
    ):
        json.dump(types, handle)


def __nb2prod_type_name__(value: object, depth: int) -> str:
    """The value's type as a Python expression: `pandas.DataFrame`, `builtins.tuple[...]`.

    A class is named by its shortest public import path that gives back the very class
    (`sklearn.ensemble._gb.GradientBoostingClassifier` -> `sklearn.ensemble.GradientBoostingClassifier`),
    read from the modules already loaded, so nothing is imported here. Tuples name each item
    (up to 10, else one item type and `...` when all agree); lists, sets and dicts name their
    item types when all items agree (up to 10,000 items), else nothing inside.
    """
    import sys

    kind = type(value)
    name = kind.__module__ + "." + kind.__qualname__
    parts = kind.__module__.split(".")
    for end in range(1, len(parts)):
        prefix = ".".join(parts[:end])
        if any(p.startswith("_") for p in parts[:end]):
            break
        found: object = sys.modules.get(prefix)
        for attribute in kind.__qualname__.split("."):
            found = getattr(found, attribute, None)
        if found is kind:
            name = prefix + "." + kind.__qualname__
            break
    if depth >= 3 or kind not in (tuple, list, set, frozenset, dict):
        return name
    if isinstance(value, dict):
        pairs = list(value.items()) if len(value) <= 10_000 else []
        keys = {__nb2prod_type_name__(k, depth + 1) for k, _ in pairs}
        values = {__nb2prod_type_name__(v, depth + 1) for _, v in pairs}
        if len(keys) == 1 and len(values) == 1:
            return f"{name}[{keys.pop()}, {values.pop()}]"
        return name
    if not isinstance(value, (tuple, list, set, frozenset)) or len(value) > 10_000:
        return name
    names = [__nb2prod_type_name__(x, depth + 1) for x in value]
    if kind is tuple and 0 < len(names) <= 10:
        return f"{name}[{', '.join(names)}]"
    if len(set(names)) == 1:
        return f"{name}[{names[0]}, ...]" if kind is tuple else f"{name}[{names[0]}]"
    return name


def __nb2prod_random_digest__() -> str:
    """A digest of the global generators' states (random; numpy and torch when loaded), or ""."""
    import hashlib
    import pickle
    import random
    import sys

    try:
        states: list[object] = [random.getstate()]
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            states.append(numpy.random.get_state())
        torch = sys.modules.get("torch")
        if torch is not None:
            states.append(torch.random.get_rng_state().numpy().tobytes())
        return hashlib.sha256(pickle.dumps(states)).hexdigest()
    except Exception:
        return ""


def __nb2prod_reseed__(seed: int) -> None:
    """Seed the global generators with another seed: verify's run asking whether a value needs them."""
    import contextlib
    import random

    random.seed(seed)
    with contextlib.suppress(ImportError):
        import numpy

        numpy.random.seed(seed)


def __nb2prod_own_class__(cls: type) -> bool:
    """A class of the notebook (`__main__`) or of the project's own modules, not an installed one."""
    known = __nb2prod_own_classes__.get(cls)
    if known is not None:
        return known
    import os
    import site
    import sys
    import sysconfig

    own = cls.__module__ == "__main__"
    path = getattr(sys.modules.get(cls.__module__ or ""), "__file__", None)
    if not own and isinstance(path, str):  # no file: built into the interpreter
        real = os.path.realpath(path)
        paths = sysconfig.get_paths()
        roots = [paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths]
        roots += [*site.getsitepackages(), site.getusersitepackages()]
        installed = any(p in ("site-packages", "dist-packages") for p in real.split(os.sep))
        own = not installed and not any(
            real.startswith(os.path.join(os.path.realpath(root), "")) for root in roots
        )
    __nb2prod_own_classes__[cls] = own
    return own


def __nb2prod_described__(
    value: object, visits: "list[int]", active: "set[int]"
) -> "tuple[object, bool]":
    """The value with each object of an own class replaced by its description; whether any was.

    The description holds what nb2prod's comparer compares for any object (compare/objects.py,
    which the kernel cannot import): the public stored attributes, leaving out functions and
    lazily cached properties, or, when there are none, every stored attribute ("private").
    Lists, tuples and dicts are walked up to 10,000 items each (a longer one is kept as it is),
    100,000 values in all; a cycle through such objects gives no description.
    """
    visits[0] += 1
    if visits[0] > 100_000 or len(active) > 50:
        raise ValueError("too large to describe")
    kind = type(value)
    if isinstance(value, (list, tuple)) and kind in (list, tuple) and len(value) <= 10_000:
        items = [__nb2prod_described__(x, visits, active) for x in value]
        if any(changed for _, changed in items):
            return kind(x for x, _ in items), True
        return value, False
    if isinstance(value, dict) and kind is dict and len(value) <= 10_000:
        entries = {k: __nb2prod_described__(v, visits, active) for k, v in value.items()}
        if any(changed for _, changed in entries.values()):
            return {k: v for k, (v, _) in entries.items()}, True
        return value, False
    if isinstance(value, type) or not __nb2prod_own_class__(kind):  # functions: class `function`
        return value, False
    import functools
    import inspect
    import types

    if id(value) in active:
        raise ValueError("a cycle of the run's own objects")
    active.add(id(value))
    try:
        stored = dict(getattr(value, "__dict__", None) or {})
        for klass in kind.__mro__:
            slots = vars(klass).get("__slots__", ())
            for slot in (slots,) if isinstance(slots, str) else slots:
                if slot not in ("__dict__", "__weakref__") and hasattr(value, slot):
                    stored.setdefault(slot, getattr(value, slot))
        if isinstance(value, tuple) and hasattr(kind, "_fields"):  # a namedtuple of the notebook
            stored.update({field: getattr(value, field) for field in kind._fields})

        def lazy(name: str) -> bool:
            found = next((vars(k)[name] for k in kind.__mro__ if name in vars(k)), None)
            return isinstance(found, functools.cached_property)

        public = {
            k: v
            for k, v in stored.items()
            if isinstance(k, str)
            and not k.startswith("_")
            and not inspect.isroutine(v)
            and not isinstance(v, (functools.partial, types.ModuleType))
            and type(v).__name__ != "ufunc"
            and not lazy(k)
        }
        chosen = public or stored
        state = {k: __nb2prod_described__(chosen[k], visits, active)[0] for k in sorted(chosen)}
    finally:
        active.discard(id(value))
    private = not public and bool(stored)
    return {__nb2prod_OBJECT__: kind.__qualname__, "state": state, "private": private}, True


def __nb2prod_modules__() -> None:
    """List the modules the run imported (not those loaded before it started)."""
    import json
    import os
    import sys

    folder = os.environ.get("NB2PROD_CAPTURE_DIR")
    if folder:
        loaded = set(sys.modules) - __nb2prod_baseline__
        with open(os.path.join(folder, "__modules__.json"), "w") as handle:
            json.dump(sorted(m for m in loaded if not m.startswith("_")), handle)
