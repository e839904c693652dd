"""Findings: what a rule reports, at which cell."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How much a finding matters; the value is what JSON, SARIF and the docs show."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Related:
    """Another place that belongs to the same cause: a further use, or a cell the cause affects."""

    cell: int
    cell_id: str
    line: int = 1
    column: int = 1
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "cell": self.cell,
            "cell_id": self.cell_id,
            "line": self.line,
            "column": self.column,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One cause, reported once; `cell` is the 0-based index over all cells, markdown included.

    `related` lists the other places the same cause shows; `confirmed` is None until a run
    of the notebook (`check --confirm`) has either reproduced the finding (True) or not (False).
    """

    code: str
    severity: Severity
    cell: int
    cell_id: str
    line: int
    column: int
    names: tuple[str, ...]
    message: str
    related: tuple[Related, ...] = ()
    confirmed: bool | None = None

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
            "related": [r.to_json() for r in self.related],
            "confirmed": self.confirmed,
        }

    @property
    def sort_key(self) -> tuple[int, int, int, str]:
        return (self.cell, self.line, self.column, self.code)
