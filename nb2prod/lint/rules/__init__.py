"""The check function of every NB1xx rule; titles and severities are in `nb2prod.core.rules`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding
from nb2prod.core.rules import Rule, RuleGroup, rules_in
from nb2prod.lint.rules import (
    idempotence,
    io_paths,
    names,
    order,
    parsing,
    randomness,
    redefinition,
)

Check = Callable[[Analysis], Iterable[Finding]]

# The rules `check` runs: the registry's NB1xx records, in code order.
RULES: Mapping[str, Rule] = rules_in(RuleGroup.STATIC)

# code -> the function that finds its violations; exactly the codes of RULES (a test checks).
CHECKS: Mapping[str, Check] = MappingProxyType(
    {
        "NB101": order.out_of_order,
        "NB102": order.unexecuted,
        "NB103": names.use_before_definition,
        "NB104": names.undefined_name,
        "NB105": redefinition.stale_output,
        "NB106": idempotence.non_idempotent,
        "NB107": order.count_gap,
        "NB108": redefinition.redefinition_from_below,
        "NB109": randomness.unseeded,
        "NB110": names.hidden_origin,
        "NB111": io_paths.absolute_paths,
        "NB112": parsing.syntax_error,
    }
)
