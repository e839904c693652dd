"""NB112: cells that do not parse."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding
from nb2prod.core.rules import finding
from nb2prod.notebook.ipysyntax import automagic_hint


def syntax_error(analysis: Analysis) -> Iterator[Finding]:
    for index, sym in enumerate(analysis.symbols):
        if sym is not None and sym.parse_error is not None:
            error = sym.parse_error
            hint = automagic_hint(analysis.cell(index).source, error.line)
            yield finding(
                "NB112",
                index,
                analysis.cell(index).id,
                f"cell does not parse: {error.message}" + (f" ({hint})" if hint else ""),
                line=error.line,
                column=error.column,
            )
