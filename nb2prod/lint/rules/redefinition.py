"""NB105, NB108: outputs and uses that depend on a definition made later than the page shows.

A change of a name is one that can change its value. Not a change: a re-import of what the name
already imported, or a definition textually identical to the nearest one that ran before it
(the same `def`, `class`, or assignment whose value reads only modules, builtins, or names no
cell changed between the two runs). NB108 also stays silent when the cell's stored output
proves the definition in effect was the one the page order gives (`docs/rules/NB108.md`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from nb2prod.analysis.records import Binding
from nb2prod.analysis.symbols import Analysis, is_known_name
from nb2prod.core.findings import Finding
from nb2prod.lint.rules.hits import Hit, at_first_hit
from nb2prod.notebook.model import Cell

# Why a name used by a cell that ran (with its execution count) breaks a rule, or None.
Explain = Callable[["_History", Cell, int, str], str | None]


def _explained_uses(analysis: Analysis, code: str, explain: Explain) -> Iterator[Finding]:
    """One `code` finding per cell that ran, naming the uses `explain` objects to, worded by the first."""
    history = _History(analysis)
    for sym, cell in zip(analysis.symbols, analysis.notebook.cells, strict=True):
        count = _count(analysis, cell.index)
        if sym is None or count is None:
            continue
        hits: list[Hit] = []
        first: str | None = None
        for ref in sym.uses:
            why = explain(history, cell, count, ref.name)
            if why is not None:
                hits.append(Hit(ref.name, ref.line, ref.column))
                if first is None:
                    first = why
        if first is not None:
            yield at_first_hit(code, cell, hits, first)


# -- when a change is no change


def _binding(analysis: Analysis, index: int, name: str) -> Binding | None:
    """How cell `index` last binds `name`, if by a def, class, import or assignment alone."""
    sym = analysis.symbols[index]
    if sym is None or any(m.name == name for m in sym.mutations):
        return None
    return next((b for b in sym.bindings if b.name == name), None)


def _text(analysis: Analysis, index: int, binding: Binding) -> str:
    lines = analysis.cell(index).source.splitlines()[binding.line - 1 : binding.end_line]
    return "\n".join(line.rstrip() for line in lines)


def _count(analysis: Analysis, index: int) -> int | None:
    """The cell's execution count; None when it did not run, or stored 0 (Colab): unknown."""
    return analysis.cell(index).execution_count or None


def _same(
    analysis: Analysis,
    name: str,
    first: int,
    second: int,
    runs: tuple[int, int] | None,
) -> bool:
    """Whether cells `first` and `second` give `name` the same value. `runs` are their counts,
    when both ran: the second cell may then read names no cell changed between the two runs;
    without them, only modules, builtins and names one cell alone defines and changes."""
    a, b = _binding(analysis, first, name), _binding(analysis, second, name)
    if a is None or b is None or a.kind != b.kind or a.kind == "other":
        return False
    if a.kind == "import":
        return a.target == b.target
    if _text(analysis, first, a) != _text(analysis, second, b):
        return False
    if a.kind != "assign":
        return True
    modules = analysis.module_names
    sym = analysis.symbols[second]
    assert sym is not None
    for read in {r.name for r in sym.uses}:  # what the cell reads: its value's inputs, and more
        if read in modules or is_known_name(read):
            continue
        changers = analysis.changers.get(read, ())
        if read == name or (runs is None and len(changers) != 1):
            return False
        if runs is None:
            continue
        low, high = sorted(runs)
        for changer in changers:
            count = _count(analysis, changer)
            if count is not None and low < count < high:
                return False
    return True


class _History:
    """For each name, the runs that changed it, and which of them left it as it was."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self._runs: dict[str, list[tuple[int, int]]] = {}
        self._unchanged: dict[tuple[str, int], bool] = {}

    def runs(self, name: str) -> list[tuple[int, int]]:
        """(count, cell) of the cells that changed `name` and ran, in the order they ran."""
        found = self._runs.get(name)
        if found is None:
            found = []
            for index in self.analysis.changers.get(name, ()):
                count = _count(self.analysis, index)
                if count is not None:
                    found.append((count, index))
            found.sort()
            self._runs[name] = found
        return found

    def no_change(self, name: str, index: int, count: int) -> bool:
        """Whether cell `index`, run [count], left `name` as the run before it had made it."""
        key = (name, index)
        if key not in self._unchanged:
            self._unchanged[key] = self._left_as_it_was(name, index, count)
        return self._unchanged[key]

    def _left_as_it_was(self, name: str, index: int, count: int) -> bool:
        analysis = self.analysis
        earlier = [c for c in self.runs(name) if c[0] < count]
        if earlier:
            before_count, before = earlier[-1]
            return _same(analysis, name, before, index, (before_count, count))
        # no earlier run on the page: only an import is known to bind what every definer does
        binding = _binding(analysis, index, name)
        if binding is None or binding.kind != "import":
            return False
        return all(
            other == index or _same(analysis, name, other, index, None)
            for other in analysis.definers.get(name, ())
        )


# -- NB105


def _stale_use(history: _History, cell: Cell, count: int, name: str) -> str | None:
    """NB105: a cell above changed `name` and ran after this cell's output was produced."""
    if not cell.outputs:
        return None
    for ran, upstream in history.runs(name):
        if upstream >= cell.index or ran <= count:
            continue
        if history.no_change(name, upstream, ran):
            continue
        return (
            f"stale output: '{name}' was redefined by cell {upstream} (run "
            f"[{ran}]) after this output was produced (run [{count}])"
        )
    return None


# -- NB108


def _use_from_below(history: _History, cell: Cell, count: int, name: str) -> str | None:
    """NB108: the last change of `name` before this cell ran was made by a cell below it."""
    analysis = history.analysis
    before = [c for c in history.runs(name) if c[1] != cell.index and c[0] < count]
    if not before or before[-1][1] < cell.index:
        return None  # the last change was made above (or none ran before)
    # the change in effect: the last one, passing over re-runs that left the name as it was
    at = len(before) - 1
    while history.no_change(name, before[at][1], before[at][0]):
        if at == 0:
            return None  # the same import as every other definer
        at -= 1
    ran, last = before[at]
    if last < cell.index:
        return None
    above = max((i for i in analysis.changers.get(name, ()) if i < cell.index), default=None)
    if above is None:
        return None  # nothing above defines it: a use before definition (NB103)
    if _same(analysis, name, above, last, None):
        return None  # the page gives the same definition
    if _output_contradicts(analysis, cell, name, last, above):
        return None
    return (
        f"when this cell ran it used '{name}' from cell {last} below (run "
        f"[{ran}]); a top-to-bottom run would use an earlier definition"
    )


# -- stored outputs as evidence


_NEUTRAL = frozenset({"", "nan", "none", "<na>", "nat", "...", "inf", "-inf"})
_TABLE = re.compile(r"<table.*?</table>", re.S | re.I)
_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S | re.I)
_CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def _joined(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else ""


def _shown_text(cell: Cell) -> str:
    """What the cell printed and displayed, as plain text."""
    parts = []
    for output in cell.outputs:
        if output.get("output_type") == "stream":
            parts.append(_joined(output.get("text")))
        data = output.get("data")
        if isinstance(data, Mapping):
            parts.append(_joined(data.get("text/plain")))
    return "\n".join(parts)


def _shown_table(cell: Cell) -> tuple[list[str], list[list[str]]] | None:
    """The header and rows of the first HTML table the cell displayed (a one-row header only)."""
    for output in cell.outputs:
        data = output.get("data")
        if not isinstance(data, Mapping):
            continue
        found = _TABLE.search(_joined(data.get("text/html")))
        if found is None:
            continue
        head, _, body = found.group(0).partition("</thead>")
        header_rows = _ROW.findall(head)
        if len(header_rows) != 1:
            return None  # a column or index name row: positions are not simple
        header = [_clean(c) for c in _CELL.findall(header_rows[0])]
        rows = [[_clean(c) for c in _CELL.findall(row)] for row in _ROW.findall(body)]
        return header, [r for r in rows if len(r) == len(header)]
    return None


def _clean(cell_html: str) -> str:
    return html.unescape(_TAG.sub("", cell_html)).strip()


def _is_number(text: str) -> bool:
    if text.lower() in _NEUTRAL:
        return True
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _has_token(text: str, token: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(token)}(?![\w.])", text) is not None


def _output_contradicts(
    analysis: Analysis, cell: Cell, name: str, last: int, above: int | None
) -> bool:
    """Whether the cell's stored output shows `name` as the definition above left it, and not
    as the claimed change by cell `last` would: the literal value of the definition above and
    not the later one's, or a column the later change dropped, or text in a column it made
    numeric."""
    sym = analysis.symbols[cell.index]
    claimed = analysis.symbols[last]
    if sym is None or claimed is None:
        return False
    shows = {d.how for d in sym.displays if d.name == name}
    if shows & {"repr", "str"} and above is not None:
        new, old = _binding(analysis, last, name), _binding(analysis, above, name)
        new_value = new.literal if new is not None else None
        old_value = old.literal if old is not None else None
        if new_value is not None and old_value is not None and old_value != new_value:
            text = _shown_text(cell)
            if _has_token(text, old_value) and not _has_token(text, new_value):
                return True
    if not shows & {"repr", "rows"}:
        return False
    changes = [c for c in claimed.column_changes if c.name == name]
    table = _shown_table(cell) if changes else None
    if table is None:
        return False
    header, rows = table
    for change in changes:
        if change.column not in header:
            continue
        if change.change == "dropped":
            return True
        column = header.index(change.column)
        if change.change == "number" and any(not _is_number(r[column]) for r in rows):
            return True
    return False


def stale_output(analysis: Analysis) -> Iterator[Finding]:
    return _explained_uses(analysis, "NB105", _stale_use)


def redefinition_from_below(analysis: Analysis) -> Iterator[Finding]:
    return _explained_uses(analysis, "NB108", _use_from_below)
