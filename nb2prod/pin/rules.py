"""The environment rules `pin` reports. Codes are a public contract (JSON, suppressions, docs).

Kept apart from `nb2prod.lint.rules.RULES`: those run inside `check` on the saved notebook
alone, these need the notebook's environment (a subprocess), which `check` must not pay for.
"""

from __future__ import annotations

from dataclasses import dataclass

from nb2prod.core.findings import Severity


@dataclass(frozen=True, slots=True)
class PinRule:
    code: str
    title: str
    severity: Severity

    @property
    def doc_path(self) -> str:
        return f"docs/rules/{self.code}.md"


PIN_RULES: dict[str, PinRule] = {
    rule.code: rule
    for rule in (
        PinRule(
            "NB201", "import maps to no known distribution", Severity.ERROR
        ),  # requirements cannot be complete
        PinRule(
            "NB202",
            "version recorded in the notebook differs from the environment",
            Severity.WARNING,
        ),
        PinRule("NB203", "package installed from inside the notebook", Severity.WARNING),
        PinRule("NB204", "import not installed where analysed", Severity.WARNING),
    )
}
