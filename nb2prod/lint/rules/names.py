"""NB103, NB104, NB110: names a top-to-bottom run reads before, or without, a definition.

Each name is reported once per notebook, at its first read; the later cells that read it are
in the finding's `related` (see `hits.once_per_name`).
"""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis.symbols import Analysis, is_known_name
from nb2prod.core.findings import Finding
from nb2prod.lint.rules.hits import Hit, once_per_name, quoted
from nb2prod.notebook.model import Cell


def use_before_definition(analysis: Analysis) -> Iterator[Finding]:
    definers = analysis.definers
    first_below: dict[str, int] = {}  # name -> the first cell below its first read that binds it
    deleted_in: dict[str, int] = {}  # name -> the cell above whose `del` leaves it unbound
    found: list[tuple[Cell, list[Hit]]] = []
    for index, sym in enumerate(analysis.symbols):
        if sym is None:
            continue
        # a star import earlier in the same cell most likely binds what the cell reads next
        # (`from math import *` then `cos(pi)`); across cells that is rarely so (pyflakes F405)
        stars = [r.line for r in sym.hidden_origins if r.name.endswith("import *")]
        late: list[Hit] = []
        seen: set[str] = set()
        for ref in sym.uses:
            if ref.name in seen or any(line < ref.line for line in stars):
                continue
            # the cell's own binding comes after this read, so it does not count; the cells
            # that bind a name are in page order, each once: the first other one decides
            cells = definers.get(ref.name, ())
            other = cells[0] if cells and cells[0] != index else cells[1] if cells[1:] else None
            if other is not None and other > index:
                seen.add(ref.name)
                late.append(Hit(ref.name, ref.line, ref.column))
                first_below.setdefault(ref.name, other)
            elif (
                other is not None and (deleter := analysis.deleted_by(ref.name, index)) is not None
            ):
                seen.add(ref.name)
                late.append(Hit(ref.name, ref.line, ref.column))
                deleted_in.setdefault(ref.name, deleter)
        found.append((analysis.cell(index), late))

    def message(names: tuple[str, ...]) -> str:
        later = [n for n in names if n in first_below]
        gone = [n for n in names if n not in first_below]
        parts = []
        if later:
            listed = ", ".join(f"'{n}' (cell {first_below[n]})" for n in later)
            parts.append(f"{listed} used before definition: defined only in a later cell")
        if gone:
            listed = ", ".join(f"'{n}' (deleted in cell {deleted_in[n]})" for n in gone)
            parts.append(f"{listed} used after a `del` above and not bound again")
        return "; ".join(parts) + ", so a top-to-bottom run fails here"

    return once_per_name("NB103", found, message)


def _unresolved(analysis: Analysis, index: int) -> list[Hit]:
    """Names read by a cell that no cell defines and Python/IPython do not provide."""
    sym = analysis.symbols[index]
    assert sym is not None
    definers = analysis.definers
    found = []
    seen: set[str] = set()
    for ref in sym.deleted_uses:  # `del x` then `x` in the same cell: unbound, as pyflakes says
        if ref.name not in seen:
            seen.add(ref.name)
            found.append(Hit(ref.name, ref.line, ref.column))
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


def _unresolved_cells(analysis: Analysis) -> Iterator[tuple[Cell, list[Hit]]]:
    for index, sym in enumerate(analysis.symbols):
        if sym is not None and sym.parse_error is None:
            yield analysis.cell(index), _unresolved(analysis, index)


def undefined_name(analysis: Analysis) -> Iterator[Finding]:
    if analysis.hidden_origins:
        return iter(())  # NB110 reports these instead

    deleted = {r.name for sym in analysis.symbols if sym is not None for r in sym.deleted_uses}

    def message(names: tuple[str, ...]) -> str:
        nowhere = tuple(n for n in names if n not in deleted)
        gone = tuple(n for n in names if n in deleted)
        parts = []
        if nowhere:
            plural = "s" if len(nowhere) > 1 else ""
            parts.append(
                f"undefined name{plural} {quoted(nowhere)}: defined in no cell (a deleted cell?)"
            )
        if gone:
            parts.append(f"{quoted(gone)} read after `del` in the same cell")
        return "; ".join(parts)

    return once_per_name("NB104", _unresolved_cells(analysis), message)


def hidden_origin(analysis: Analysis) -> Iterator[Finding]:
    origins = analysis.hidden_origins
    if not origins:
        return iter(())
    shown = ", ".join(f"`{o}`" for o in origins[:3]) + (" ..." if len(origins) > 3 else "")

    def message(names: tuple[str, ...]) -> str:
        return f"{quoted(names)} defined by no visible cell; may come from {shown}"

    return once_per_name("NB110", _unresolved_cells(analysis), message)
