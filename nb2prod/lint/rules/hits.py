"""Turning what a rule found into findings: one per cell, or one per name across the notebook."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from nb2prod.analysis.suppressions import suppressed_codes
from nb2prod.core.findings import Finding, Related
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


def quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _silences(cell: Cell, code: str) -> bool:
    """The cell's `nb2prod: ignore` comment or tag covers `code` (read as `check` reads it)."""
    codes = suppressed_codes(cell)
    return codes is not None and (not codes or any(code.startswith(c) for c in codes))


def once_per_name(
    code: str,
    found: Iterable[tuple[Cell, Sequence[Hit]]],
    message: Callable[[tuple[str, ...]], str],
) -> Iterator[Finding]:
    """One finding per name across the notebook, at its first hit; the cells after in `related`.

    `found` gives, in page order, each cell's hits (one per name). Names read by exactly the
    same cells share a finding, as they did when findings were made per cell: a cell reading
    three undefined names is one finding, a name read by nine cells is one finding. A cell that
    silences `code` drops out here, so the name's next cell carries the finding instead.
    """
    places: dict[str, list[tuple[Cell, Hit]]] = {}
    for cell, hits in found:
        if hits and not _silences(cell, code):
            for hit in hits:
                places.setdefault(hit.name, []).append((cell, hit))
    groups: dict[tuple[int, ...], list[str]] = {}
    for name, where in places.items():
        groups.setdefault(tuple(cell.index for cell, _ in where), []).append(name)
    for names in groups.values():
        # per cell, the first hit of any of the names: where the finding or the related place is
        firsts: list[tuple[Cell, Hit]] = []
        for at in range(len(places[names[0]])):
            cell = places[names[0]][at][0]
            hit = min((places[n][at][1] for n in names), key=lambda h: (h.line, h.column))
            firsts.append((cell, hit))
        ordered = tuple(sorted(names, key=lambda n: (places[n][0][1].line, places[n][0][1].column)))
        (cell, hit), later = firsts[0], firsts[1:]
        also = f"also reads {quoted(ordered)}"
        yield finding(
            code,
            cell.index,
            cell.id,
            message(ordered),
            line=hit.line,
            column=hit.column,
            names=ordered,
            related=tuple(Related(c.index, c.id, h.line, h.column, also) for c, h in later),
        )
