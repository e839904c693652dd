"""Findings: what a rule reports, at which cell."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How much a finding matters; the value is what JSON, SARIF and the docs show."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule violation; `cell` is the 0-based index over all cells, markdown included."""

    code: str
    severity: Severity
    cell: int
    cell_id: str
    line: int
    column: int
    names: tuple[str, ...]
    message: str

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "cell": self.cell,
            "cell_id": self.cell_id,
            "line": self.line,
            "column": self.column,
            "names": list(self.names),
            "message": self.message,
        }

    @property
    def sort_key(self) -> tuple[int, int, int, str]:
        return (self.cell, self.line, self.column, self.code)
