"""`# nb2prod: ignore[...]` comments and `nb2prod:ignore[...]` cell tags, read the same way by every command."""

from __future__ import annotations

import re
from collections.abc import Sequence

from nb2prod.core.findings import Finding
from nb2prod.notebook.model import Cell

_IGNORE_COMMENT = re.compile(r"#\s*nb2prod:\s*ignore(?:\[([A-Za-z0-9,\s]*)\])?")
_IGNORE_TAG = re.compile(r"^nb2prod:ignore(?:\[([A-Za-z0-9,\s]*)\])?$")


def suppressed_codes(cell: Cell) -> frozenset[str] | None:
    """Codes silenced in this cell; an empty set silences every code; None silences nothing."""
    codes: set[str] = set()
    found = False
    matches = [*_IGNORE_COMMENT.finditer(cell.source)]
    matches += [m for tag in cell.tags if (m := _IGNORE_TAG.match(tag.strip()))]
    for match in matches:
        found = True
        if match.group(1) is None:
            return frozenset()
        codes.update(c.strip().upper() for c in match.group(1).split(",") if c.strip())
    return frozenset(codes) if found else None


def is_suppressed(finding: Finding, cells: Sequence[Cell]) -> bool:
    """The finding's cell silences its code (a cell index outside the notebook silences nothing)."""
    if not 0 <= finding.cell < len(cells):
        return False
    codes = suppressed_codes(cells[finding.cell])
    return codes is not None and (not codes or any(finding.code.startswith(c) for c in codes))
