"""NB106: cells that give a different result when run twice.

A self-update (`x = f(x)`, `x += 1`, `df['a'] = g(df['a'])`, an in-place call, `del x[k]`) on a
name the cell did not bind first is reported unless the idempotence table
(nb2prod/data/idempotence.json, read by `nb2prod.analysis.idempotence`) says every operation it
applies gives the same value again: `df = df.fillna(0)`, `df = df[df.x > 0]`,
`df.sort_index(inplace=True)` are not findings.
"""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis.records import Mutation, Rerun
from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding
from nb2prod.core.rules import finding


def _how(m: Mutation) -> str | None:
    """How the cell changes the name, in words; None when it does not read what it changes."""
    if m.how.startswith("method:"):
        return f"changes it in place with .{m.how[7:]}()"
    if m.how == "inplace":
        return "changes it in place with inplace=True"
    if m.how == "del-item":
        return "deletes from it"
    if m.reads_target:
        part = "an item" if m.how == "item" else "an attribute"
        return f"updates {part} of it from its own value"
    return None


def _consequence(rerun: Rerun | None) -> str:
    if rerun is None or not rerun.why:
        return "running it twice gives a different result"
    if rerun.idempotent is None:
        return f"running it twice may give a different result: {rerun.why}"
    return f"running it twice gives a different result: {rerun.why}"


def non_idempotent(analysis: Analysis) -> Iterator[Finding]:
    modules = analysis.module_names
    for index, sym in enumerate(analysis.symbols):
        if sym is None:
            continue
        spots: list[tuple[str, int, int, str, Rerun | None]] = [
            (r.name, r.line, r.column, "rebinds it from its own value", r.rerun)
            for r in sym.self_rebinds
            if r.rerun.idempotent is not True
        ]
        for m in sym.mutations:
            how = _how(m)
            if not m.external or m.name in modules or how is None:
                continue
            if m.rerun is not None and m.rerun.idempotent is True:
                continue
            spots.append((m.name, m.line, m.column, how, m.rerun))
        if spots:
            spots.sort(key=lambda s: (s[1], s[2]))
            name, line, column, how, rerun = spots[0]
            yield finding(
                "NB106",
                index,
                analysis.cell(index).id,
                f"non-idempotent cell: '{name}' is not bound earlier in this cell and the cell "
                f"{how}; {_consequence(rerun)}",
                line=line,
                column=column,
                names=tuple(dict.fromkeys(s[0] for s in spots)),
            )
