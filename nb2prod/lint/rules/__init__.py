"""The check function of every NB1xx rule; titles and severities are in `nb2prod.core.rules`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib import import_module

from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding
from nb2prod.core.rules import Rule, RuleGroup, rules_in

Check = Callable[[Analysis], Iterable[Finding]]

# The rules `check` runs: the registry's NB1xx records, in code order.
RULES: Mapping[str, Rule] = rules_in(RuleGroup.STATIC)

# code -> the module of this package and the function in it that finds its violations;
# exactly the codes of RULES (a test checks).
_WHERE: Mapping[str, tuple[str, str]] = {
    "NB101": ("order", "out_of_order"),
    "NB102": ("order", "unexecuted"),
    "NB103": ("names", "use_before_definition"),
    "NB104": ("names", "undefined_name"),
    "NB105": ("redefinition", "stale_output"),
    "NB106": ("idempotence", "non_idempotent"),
    "NB107": ("order", "count_gap"),
    "NB108": ("redefinition", "redefinition_from_below"),
    "NB109": ("randomness", "unseeded"),
    "NB110": ("names", "hidden_origin"),
    "NB111": ("io_paths", "absolute_paths"),
    "NB112": ("parsing", "syntax_error"),
}


class _Checks(Mapping[str, Check]):
    """The check functions by code, each module imported when one of its rules is first run:
    a `check` with the default rules (the pre-commit hook) loads only the modules they need."""

    def __init__(self) -> None:
        self._loaded: dict[str, Check] = {}

    def __getitem__(self, code: str) -> Check:
        check = self._loaded.get(code)
        if check is None:
            module, function = _WHERE[code]
            check = getattr(import_module(f"{__name__}.{module}"), function)
            self._loaded[code] = check
        return check

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


# code -> the function that finds its violations
CHECKS: Mapping[str, Check] = _Checks()
