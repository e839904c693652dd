"""NB101-NB108, NB110, NB112: hidden state read from the saved notebook alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from nb2prod.analysis.symbols import Analysis, is_known_name
from nb2prod.core.findings import Finding
from nb2prod.core.rules import finding
from nb2prod.lint.rules.hits import Hit, at_first_hit, hit_names
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


def use_before_definition(analysis: Analysis) -> Iterator[Finding]:
    definers = analysis.definers
    for index, sym in enumerate(analysis.symbols):
        if sym is None:
            continue
        late: list[tuple[str, int, int, int]] = []
        for ref in sym.uses:
            # the cell's own binding comes after this read, so it does not count
            cells = tuple(c for c in definers.get(ref.name, ()) if c != index)
            if cells and all(c > index for c in cells):
                late.append((ref.name, ref.line, ref.column, cells[0]))
        if late:
            _name, line, column, _where = late[0]
            names = tuple(item[0] for item in late)
            listed = ", ".join(f"'{n}' (cell {w})" for n, _, _, w in late)
            yield finding(
                "NB103",
                index,
                analysis.cell(index).id,
                f"{listed} used before definition: defined only in a later cell, so a "
                "top-to-bottom run fails here",
                line=line,
                column=column,
                names=names,
            )


def _unresolved(analysis: Analysis, index: int) -> list[Hit]:
    """Names read by a cell that no cell defines and Python/IPython do not provide."""
    sym = analysis.symbols[index]
    assert sym is not None
    definers = analysis.definers
    found = []
    seen: set[str] = set()
    for ref in sym.uses + sym.deferred_uses:
        if ref.name in seen or is_known_name(ref.name):
            continue
        if any(c != index for c in definers.get(ref.name, ())):
            continue
        if ref.name in definers and ref in sym.deferred_uses:
            continue  # a function body reading a name its own cell binds
        seen.add(ref.name)
        found.append(Hit(ref.name, ref.line, ref.column))
    return found


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def undefined_name(analysis: Analysis) -> Iterator[Finding]:
    if analysis.hidden_origins:
        return  # NB110 reports these instead
    for index, sym in enumerate(analysis.symbols):
        if sym is None or sym.parse_error is not None:
            continue
        missing = _unresolved(analysis, index)
        if missing:
            names = hit_names(missing)
            message = (
                f"undefined name{'s' if len(names) > 1 else ''} {_quoted(names)}: defined in no "
                "cell (a deleted cell?)"
            )
            yield at_first_hit("NB104", analysis.cell(index), missing, message)


def hidden_origin(analysis: Analysis) -> Iterator[Finding]:
    origins = analysis.hidden_origins
    if not origins:
        return
    shown = ", ".join(f"`{o}`" for o in origins[:3]) + (" ..." if len(origins) > 3 else "")
    for index, sym in enumerate(analysis.symbols):
        if sym is None or sym.parse_error is not None:
            continue
        missing = _unresolved(analysis, index)
        if missing:
            message = (
                f"{_quoted(hit_names(missing))} defined by no visible cell; may come from {shown}"
            )
            yield at_first_hit("NB110", analysis.cell(index), missing, message)


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


def non_idempotent(analysis: Analysis) -> Iterator[Finding]:
    for index, sym in enumerate(analysis.symbols):
        if sym is None:
            continue
        spots: list[tuple[str, int, int, str]] = [
            (r.name, r.line, r.column, "rebinds it from its own value") for r in sym.self_rebinds
        ]
        for m in sym.mutations:
            if not m.external:
                continue
            if m.how.startswith("method:"):
                spots.append((m.name, m.line, m.column, f"changes it in place with .{m.how[7:]}()"))
            elif m.how == "inplace":
                spots.append((m.name, m.line, m.column, "changes it in place with inplace=True"))
            elif m.how == "del-item":
                spots.append((m.name, m.line, m.column, "deletes from it"))
            elif m.reads_target:
                part = "an item" if m.how == "item" else "an attribute"
                spots.append((m.name, m.line, m.column, f"updates {part} of it from its own value"))
        if spots:
            spots.sort(key=lambda s: (s[1], s[2]))
            name, line, column, how = spots[0]
            yield finding(
                "NB106",
                index,
                analysis.cell(index).id,
                f"non-idempotent cell: '{name}' is not bound earlier in this cell and the cell {how}; "
                "running it twice gives a different result",
                line=line,
                column=column,
                names=tuple(dict.fromkeys(s[0] for s in spots)),
            )


def syntax_error(analysis: Analysis) -> Iterator[Finding]:
    for index, sym in enumerate(analysis.symbols):
        if sym is not None and sym.parse_error is not None:
            error = sym.parse_error
            yield finding(
                "NB112",
                index,
                analysis.cell(index).id,
                f"cell does not parse: {error.message}",
                line=error.line,
                column=error.column,
            )
