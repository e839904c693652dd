"""NB103, NB104, NB110: names a top-to-bottom run reads before, or without, a definition."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis.symbols import Analysis, is_known_name
from nb2prod.core.findings import Finding
from nb2prod.core.rules import finding
from nb2prod.lint.rules.hits import Hit, at_first_hit, hit_names


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
