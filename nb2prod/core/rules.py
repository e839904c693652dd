"""The rule registry: every code nb2prod reports, with its title, severity and docs page.

Codes are a public contract (JSON, SARIF, suppressions, docs). Every command takes a rule's
title and severity from here and builds its findings with `finding`; the lint stage maps the
NB1xx codes to their check functions (`nb2prod.lint.rules.CHECKS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from nb2prod.core.findings import Finding, Related, Severity


class RuleGroup(StrEnum):
    """Which command reports a rule, and from what; the hundreds digit of its code."""

    STATIC = "static"  # NB1xx: `check`, from the saved notebook alone
    ENVIRONMENT = "environment"  # NB2xx: `pin`, from the notebook and its interpreter
    EXECUTION = "execution"  # NB3xx: `verify`, from fresh runs of the notebook
    CONVERSION = "conversion"  # NB4xx: `verify`, the notebook against the generated package


_GROUP_OF_DIGIT = {
    "1": RuleGroup.STATIC,
    "2": RuleGroup.ENVIRONMENT,
    "3": RuleGroup.EXECUTION,
    "4": RuleGroup.CONVERSION,
}


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    title: str
    severity: Severity
    # off by default when its measured precision is below 90% (docs/rules/precision.md);
    # `--select` or `--extend-select` opts in
    default: bool = True

    @property
    def group(self) -> RuleGroup:
        return _GROUP_OF_DIGIT[self.code[2]]

    @property
    def doc_path(self) -> str:
        return f"docs/rules/{self.code}.md"


_E, _W = Severity.ERROR, Severity.WARNING

RULES: Mapping[str, Rule] = MappingProxyType(
    {
        rule.code: rule
        for rule in (
            Rule("NB101", "out-of-order execution", _W, default=False),
            Rule("NB102", "unexecuted code cell", _W, default=False),
            Rule("NB103", "use before definition", _E),
            Rule("NB104", "undefined name", _E),
            Rule("NB105", "stale output", _W, default=False),
            Rule("NB106", "non-idempotent cell", _W),
            Rule("NB107", "execution-count gap", _W, default=False),
            Rule("NB108", "output used a redefinition from below", _W, default=False),
            Rule("NB109", "unseeded randomness", _W, default=False),
            Rule("NB110", "name of hidden origin", _W, default=False),
            Rule("NB111", "absolute or user-specific path", _W),
            Rule("NB112", "cell does not parse", _E),
            # an error: the requirements cannot be complete
            Rule("NB201", "import maps to no known distribution", _E),
            Rule("NB202", "version recorded in the notebook differs from the environment", _W),
            Rule("NB203", "package installed from inside the notebook", _W),
            Rule("NB204", "import not installed where analysed", _W),
            Rule("NB301", "stored output differs from a fresh run", _W),
            Rule("NB302", "fresh run fails at this cell", _E),
            Rule("NB303", "nondeterministic output", _W),
            Rule("NB304", "cell timed out", _E),
            Rule("NB401", "generated package differs from the notebook", _E),
            Rule("NB402", "value could not be captured or compared", _W),
        )
    }
)


def is_default(code: str) -> bool:
    """Whether a rule runs when nothing selects rules explicitly (unknown codes: yes)."""
    rule = RULES.get(code)
    return rule is None or rule.default


def rules_in(group: RuleGroup) -> Mapping[str, Rule]:
    """The rules one command reports, in code order."""
    return MappingProxyType({code: r for code, r in RULES.items() if r.group is group})


def finding(
    code: str,
    cell: int,
    cell_id: str,
    message: str,
    *,
    line: int = 1,
    column: int = 1,
    names: tuple[str, ...] = (),
    related: tuple[Related, ...] = (),
) -> Finding:
    """A finding of rule `code`, with the severity the registry gives it."""
    return Finding(code, RULES[code].severity, cell, cell_id, line, column, names, message, related)
