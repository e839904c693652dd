"""The rule catalogue. Codes are a public contract (JSON, SARIF, suppressions, docs)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding, Severity


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    title: str
    severity: Severity
    check: Callable[[Analysis], Iterable[Finding]]

    @property
    def doc_path(self) -> str:
        return f"docs/rules/{self.code}.md"


def _catalogue() -> dict[str, Rule]:
    from nb2prod.lint.rules import hidden_state, io_paths, randomness

    rules = [
        Rule("NB101", "out-of-order execution", Severity.WARNING, hidden_state.out_of_order),
        Rule("NB102", "unexecuted code cell", Severity.WARNING, hidden_state.unexecuted),
        Rule("NB103", "use before definition", Severity.ERROR, hidden_state.use_before_definition),
        Rule("NB104", "undefined name", Severity.ERROR, hidden_state.undefined_name),
        Rule("NB105", "stale output", Severity.WARNING, hidden_state.stale_output),
        Rule("NB106", "non-idempotent cell", Severity.WARNING, hidden_state.non_idempotent),
        Rule("NB107", "execution-count gap", Severity.WARNING, hidden_state.count_gap),
        Rule(
            "NB108",
            "output used a redefinition from below",
            Severity.WARNING,
            hidden_state.redefinition_from_below,
        ),
        Rule("NB109", "unseeded randomness", Severity.WARNING, randomness.unseeded),
        Rule("NB110", "name of hidden origin", Severity.WARNING, hidden_state.hidden_origin),
        Rule("NB111", "absolute or user-specific path", Severity.WARNING, io_paths.absolute_paths),
        Rule("NB112", "cell does not parse", Severity.ERROR, hidden_state.syntax_error),
    ]
    return {rule.code: rule for rule in rules}


RULES: dict[str, Rule] = _catalogue()
