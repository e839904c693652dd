"""NB111: absolute or user-specific paths in file I/O, which break on any other machine."""

from __future__ import annotations

import re
from collections.abc import Iterator

from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding
from nb2prod.lint.rules.hits import Hit, at_first_hit, hit_names

# the callees that read, write or navigate files, and the names that hold a path: one list,
# shared with convert's project-root finding
from nb2prod.notebook.project_root import IO_CALL as _IO_CALL
from nb2prod.notebook.project_root import PATHLIKE_NAME as _PATHLIKE_NAME

# Absolute POSIX or Windows paths, UNC shares and home-relative paths.
_ABSOLUTE = re.compile(r"^(~[/\\]|~$|/(?!/)[^\s]+|[A-Za-z]:[\\/]|\\\\[^\\\s]+\\)")


def looks_absolute(text: str) -> bool:
    if "\n" in text or len(text) > 500 or text.strip() != text:
        return False
    return _ABSOLUTE.match(text) is not None and text not in ("/", "//")


def absolute_paths(analysis: Analysis) -> Iterator[Finding]:
    for index, sym in enumerate(analysis.symbols):
        if sym is None:
            continue
        hits: list[Hit] = []
        for call in sym.calls:
            last = call.name.rpartition(".")[2]
            if _IO_CALL.match(last):
                hits.extend(
                    Hit(s, call.line, call.column) for s in call.string_args if looks_absolute(s)
                )
        for assigned in sym.string_assignments:
            if _PATHLIKE_NAME.search(assigned.name) and looks_absolute(assigned.value):
                hits.append(Hit(assigned.value, assigned.line, assigned.column))
        if hits:
            hits.sort(key=lambda h: (h.line, h.column))
            listed = ", ".join(f"'{p}'" for p in hit_names(hits))
            message = (
                f"absolute or user-specific path {listed}: it will not exist on another machine "
                "(make it relative to a configurable data directory)"
            )
            yield at_first_hit("NB111", analysis.notebook.cells[index], hits, message)
