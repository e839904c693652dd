"""One finding per cell for all a rule found in it: placed at the first hit, naming every hit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nb2prod.core.findings import Finding
from nb2prod.core.rules import finding
from nb2prod.notebook.model import Cell


@dataclass(frozen=True, slots=True)
class Hit:
    name: str  # what the finding lists: a variable, a called function, a path
    line: int
    column: int


def hit_names(hits: Sequence[Hit]) -> tuple[str, ...]:
    """Each hit's name, once, in order."""
    return tuple(dict.fromkeys(h.name for h in hits))


def at_first_hit(code: str, cell: Cell, hits: Sequence[Hit], message: str) -> Finding:
    """The finding of rule `code` in `cell`, at its first hit, listing the names of all."""
    first = hits[0]
    return finding(
        code,
        cell.index,
        cell.id,
        message,
        line=first.line,
        column=first.column,
        names=hit_names(hits),
    )
