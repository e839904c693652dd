# What crosses a function boundary, as the notebook's kernel and the package run see it.
#
# Runs first in both, before any code of theirs: `__nb2prod_capture__` pickles a function's
# returned values to $NB2PROD_CAPTURE_DIR/<function>.pkl, `__nb2prod_modules__` lists the
# modules the run imported in __modules__.json; nb2prod.verify.capture reads both back and
# imports the markers below from here. In a kernel this shares the notebook's namespace:
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
    stored: dict[str, object] = {}
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
    with open(os.path.join(folder, function + ".pkl"), "wb") as handle:
        pickle.dump(stored, handle)


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
