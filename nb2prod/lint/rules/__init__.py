"""The check function of every NB1xx rule; titles and severities are in `nb2prod.core.rules`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding
from nb2prod.core.rules import Rule, RuleGroup, rules_in
from nb2prod.lint.rules import hidden_state, io_paths, randomness

Check = Callable[[Analysis], Iterable[Finding]]

# The rules `check` runs: the registry's NB1xx records, in code order.
RULES: Mapping[str, Rule] = rules_in(RuleGroup.STATIC)

# code -> the function that finds its violations; exactly the codes of RULES (a test checks).
CHECKS: Mapping[str, Check] = MappingProxyType(
    {
        "NB101": hidden_state.out_of_order,
        "NB102": hidden_state.unexecuted,
        "NB103": hidden_state.use_before_definition,
        "NB104": hidden_state.undefined_name,
        "NB105": hidden_state.stale_output,
        "NB106": hidden_state.non_idempotent,
        "NB107": hidden_state.count_gap,
        "NB108": hidden_state.redefinition_from_below,
        "NB109": randomness.unseeded,
        "NB110": hidden_state.hidden_origin,
        "NB111": io_paths.absolute_paths,
        "NB112": hidden_state.syntax_error,
    }
)
