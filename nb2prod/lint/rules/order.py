"""NB101, NB102, NB107: the execution counts stored in the notebook."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding
from nb2prod.core.rules import finding
from nb2prod.notebook.model import Cell


def _executed(analysis: Analysis) -> list[Cell]:
    return [c for c in analysis.notebook.cells if c.is_code and c.execution_count is not None]


def out_of_order(analysis: Analysis) -> Iterator[Finding]:
    highest: Cell | None = None
    for cell in _executed(analysis):
        count = cell.execution_count
        assert count is not None
        if (
            highest is not None
            and highest.execution_count is not None
            and count <= highest.execution_count
        ):
            yield finding(
                "NB101",
                cell.index,
                cell.id,
                f"execution count {count} is not greater than {highest.execution_count} of cell "
                f"{highest.index} above: the cells ran in a different order than the page shows",
            )
        elif highest is None or (highest.execution_count or 0) < count:
            highest = cell


def unexecuted(analysis: Analysis) -> Iterator[Finding]:
    if not _executed(analysis):
        return
    for cell in analysis.notebook.code_cells:
        if cell.execution_count is None and not cell.is_blank:
            yield finding(
                "NB102",
                cell.index,
                cell.id,
                "code cell was never executed, although other cells were: the stored results "
                "do not include it",
            )


def count_gap(analysis: Analysis) -> Iterator[Finding]:
    highest = 0
    for cell in _executed(analysis):
        count = cell.execution_count
        assert count is not None
        if count > highest + 1:
            missing = count - highest - 1
            if highest == 0:
                detail = f"execution counts start at {count}"
            else:
                detail = f"execution count jumps from {highest} to {count}"
            yield finding(
                "NB107",
                cell.index,
                cell.id,
                f"{detail}: {missing} execution{'s' if missing != 1 else ''} not on the page "
                "(deleted cells or cells run repeatedly)",
            )
        highest = max(highest, count)
