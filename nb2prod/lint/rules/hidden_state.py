"""NB101-NB108, NB110, NB112: hidden state read from the saved notebook alone."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis.symbols import Analysis, is_known_name
from nb2prod.core.findings import Finding, Severity
from nb2prod.notebook.model import Cell


def _finding(
    code: str,
    severity: Severity,
    cell: Cell,
    message: str,
    *,
    line: int = 1,
    column: int = 1,
    names: tuple[str, ...] = (),
) -> Finding:
    return Finding(code, severity, cell.index, cell.id, line, column, names, message)


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
            yield _finding(
                "NB101",
                Severity.WARNING,
                cell,
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
            yield _finding(
                "NB102",
                Severity.WARNING,
                cell,
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
            yield _finding(
                "NB107",
                Severity.WARNING,
                cell,
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
            yield _finding(
                "NB103",
                Severity.ERROR,
                analysis.cell(index),
                f"{listed} used before definition: defined only in a later cell, so a "
                "top-to-bottom run fails here",
                line=line,
                column=column,
                names=names,
            )


def _unresolved(analysis: Analysis, index: int) -> list[tuple[str, int, int]]:
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
        found.append((ref.name, ref.line, ref.column))
    return found


def undefined_name(analysis: Analysis) -> Iterator[Finding]:
    if analysis.hidden_origins:
        return  # NB110 reports these instead
    for index, sym in enumerate(analysis.symbols):
        if sym is None or sym.parse_error is not None:
            continue
        missing = _unresolved(analysis, index)
        if missing:
            names = tuple(m[0] for m in missing)
            quoted = ", ".join(f"'{n}'" for n in names)
            yield _finding(
                "NB104",
                Severity.ERROR,
                analysis.cell(index),
                f"undefined name{'s' if len(names) > 1 else ''} {quoted}: defined in no cell "
                "(a deleted cell?)",
                line=missing[0][1],
                column=missing[0][2],
                names=names,
            )


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
            names = tuple(m[0] for m in missing)
            quoted = ", ".join(f"'{n}'" for n in names)
            yield _finding(
                "NB110",
                Severity.WARNING,
                analysis.cell(index),
                f"{quoted} defined by no visible cell; may come from {shown}",
                line=missing[0][1],
                column=missing[0][2],
                names=names,
            )


def stale_output(analysis: Analysis) -> Iterator[Finding]:
    changers = analysis.changers
    cells = analysis.notebook.cells
    for index, sym in enumerate(analysis.symbols):
        cell = cells[index]
        if sym is None or cell.execution_count is None or not cell.outputs:
            continue
        stale: list[tuple[str, int, int, Cell]] = []
        for ref in sym.uses:
            for upstream in changers.get(ref.name, ()):
                other = cells[upstream]
                if (
                    upstream < index
                    and other.execution_count is not None
                    and other.execution_count > cell.execution_count
                ):
                    stale.append((ref.name, ref.line, ref.column, other))
                    break
        if stale:
            name, line, column, other = stale[0]
            yield _finding(
                "NB105",
                Severity.WARNING,
                cell,
                f"stale output: '{name}' was redefined by cell {other.index} (run "
                f"[{other.execution_count}]) after this output was produced (run [{cell.execution_count}])",
                line=line,
                column=column,
                names=tuple(dict.fromkeys(s[0] for s in stale)),
            )


def redefinition_from_below(analysis: Analysis) -> Iterator[Finding]:
    changers = analysis.changers
    cells = analysis.notebook.cells
    for index, sym in enumerate(analysis.symbols):
        cell = cells[index]
        if sym is None or cell.execution_count is None:
            continue
        hits: list[tuple[str, int, int, Cell]] = []
        for ref in sym.uses:
            before = [
                cells[i]
                for i in changers.get(ref.name, ())
                if i != index
                and cells[i].execution_count is not None
                and cells[i].execution_count < cell.execution_count  # type: ignore[operator]
            ]
            if not before:
                continue
            last = max(before, key=lambda c: c.execution_count or 0)
            if last.index > index:
                hits.append((ref.name, ref.line, ref.column, last))
        if hits:
            name, line, column, last = hits[0]
            yield _finding(
                "NB108",
                Severity.WARNING,
                cell,
                f"when this cell ran it used '{name}' from cell {last.index} below (run "
                f"[{last.execution_count}]); a top-to-bottom run would use an earlier definition",
                line=line,
                column=column,
                names=tuple(dict.fromkeys(h[0] for h in hits)),
            )


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
            yield _finding(
                "NB106",
                Severity.WARNING,
                analysis.cell(index),
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
            yield _finding(
                "NB112",
                Severity.ERROR,
                analysis.cell(index),
                f"cell does not parse: {error.message}",
                line=error.line,
                column=error.column,
            )
