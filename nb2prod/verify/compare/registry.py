"""Which library types have a comparer of their own: `register(match, describe)`.

A comparer says what an object *means*: `describe(value)` returns its meaningful parts by name
(a fitted model's parameters, the data a model was built from), and two objects compare part
by part with the rules and tolerances of every other value. Whatever `describe` leaves out (a
cache, a scratch buffer, the time of the fit) is never compared.

The built-in comparers are registered below, the same way a user's are; the last registered
whose `match` fits a value is used. Packages can register theirs through the entry point group
`nb2prod.comparers` (a function taking `register`), loaded in name order the first time a value
is compared, so `nb2prod verify` and the generated golden tests compare alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import objects
from .core import Uncomparable, exception_text
from .kinds import is_estimator, is_statsmodels_results

# A qualified class name ("statsmodels.base.model.Model", or a module prefix: "lifelines"),
# matched against the value's class and its bases, or a predicate on the value.
Match = str | Callable[[Any], bool]
Describe = Callable[[Any], Mapping[str, Any]]

ENTRY_POINTS = "nb2prod.comparers"


@dataclass(frozen=True, slots=True)
class Comparer:
    match: Match
    describe: Describe

    def fits(self, value: object) -> bool:
        if not isinstance(self.match, str):
            return bool(self.match(value))
        prefix = self.match
        for cls in type(value).__mro__:
            name = f"{cls.__module__}.{cls.__qualname__}"
            if name == prefix or name.startswith(prefix + "."):
                return True
        return False


class _Plugins:
    """Whether the entry points were loaded, and why one failed ("" when none did)."""

    loaded = False
    failure = ""


_COMPARERS: list[Comparer] = []


def register(match: Match, describe: Describe) -> None:
    """Compare the values `match` selects by the parts `describe` returns.

    `match` is a qualified class name or module prefix (checked against the value's class and
    its bases, so `"lifelines.fitters"` selects every class defined there) or a predicate.
    `describe(value)` returns the parts that say what the value means, by name; parts present
    on one side only are a difference. Registered last, asked first.
    """
    if not (isinstance(match, str) or callable(match)) or not callable(describe):
        raise TypeError("register(match, describe): a class name or predicate, and a function")
    _COMPARERS.append(Comparer(match, describe))


def describer(value: object) -> Describe | None:
    """The `describe` of the last registered comparer that fits the value, or None."""
    if not _Plugins.loaded:
        _load_plugins()
    if _Plugins.failure:
        raise Uncomparable(_Plugins.failure)
    for comparer in reversed(_COMPARERS):
        if comparer.fits(value):
            return comparer.describe
    return None


def _load_plugins() -> None:
    """Call every `nb2prod.comparers` entry point with `register`, once, in name order."""
    from importlib.metadata import entry_points

    _Plugins.loaded = True
    for point in sorted(entry_points(group=ENTRY_POINTS), key=lambda p: p.name):
        try:
            point.load()(register)
        except Exception as exc:  # every comparison says so, rather than some silently without it
            _Plugins.failure = f"comparer plugin {point.name!r} failed: {exception_text(exc)}"
            return


register(is_statsmodels_results, objects.statsmodels_results)
register("statsmodels.base.model.Model", objects.statsmodels_model)
register("statsmodels.genmod.families.family.Family", objects.statsmodels_family)
register(is_estimator, objects.estimator)
