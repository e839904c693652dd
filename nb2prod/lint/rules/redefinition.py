"""NB105, NB108: outputs and uses that depend on a definition made later than the page shows."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding
from nb2prod.lint.rules.hits import Hit, at_first_hit
from nb2prod.notebook.model import Cell

# Why a name used by a cell that ran (with its execution count) breaks a rule, or None.
Explain = Callable[[Analysis, Cell, int, str], str | None]


def _explained_uses(analysis: Analysis, code: str, explain: Explain) -> Iterator[Finding]:
    """One `code` finding per cell that ran, naming the uses `explain` objects to, worded by the first."""
    for sym, cell in zip(analysis.symbols, analysis.notebook.cells, strict=True):
        if sym is None or cell.execution_count is None:
            continue
        hits: list[Hit] = []
        first: str | None = None
        for ref in sym.uses:
            why = explain(analysis, cell, cell.execution_count, ref.name)
            if why is not None:
                hits.append(Hit(ref.name, ref.line, ref.column))
                if first is None:
                    first = why
        if first is not None:
            yield at_first_hit(code, cell, hits, first)


def _stale_use(analysis: Analysis, cell: Cell, count: int, name: str) -> str | None:
    """NB105: a cell above changed `name` and ran after this cell's output was produced."""
    if not cell.outputs:
        return None
    for upstream in analysis.changers.get(name, ()):
        by = analysis.notebook.cells[upstream]
        if upstream < cell.index and by.execution_count is not None and by.execution_count > count:
            return (
                f"stale output: '{name}' was redefined by cell {by.index} (run "
                f"[{by.execution_count}]) after this output was produced (run [{count}])"
            )
    return None


def _use_from_below(analysis: Analysis, cell: Cell, count: int, name: str) -> str | None:
    """NB108: the last change of `name` before this cell ran was made by a cell below it."""
    cells = analysis.notebook.cells
    earlier = (cells[i] for i in analysis.changers.get(name, ()) if i != cell.index)
    before = [c for c in earlier if c.execution_count is not None and c.execution_count < count]
    if not before:
        return None
    last = max(before, key=lambda c: c.execution_count or 0)
    if last.index < cell.index:
        return None
    return (
        f"when this cell ran it used '{name}' from cell {last.index} below (run "
        f"[{last.execution_count}]); a top-to-bottom run would use an earlier definition"
    )


def stale_output(analysis: Analysis) -> Iterator[Finding]:
    return _explained_uses(analysis, "NB105", _stale_use)


def redefinition_from_below(analysis: Analysis) -> Iterator[Finding]:
    return _explained_uses(analysis, "NB108", _use_from_below)
