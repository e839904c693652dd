"""NB106: cells that give a different result when run twice."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding
from nb2prod.core.rules import finding


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
