"""What a cell that does not parse probably binds, read from its text.

Python 2 code and typos should not make every later cell that reads the names of the
broken one report them as undefined.
"""

from __future__ import annotations

import re

from nb2prod.analysis.records import Ref

_GUESS_ASSIGN = re.compile(r"^([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*=[^=]", re.M)
_GUESS_DEF = re.compile(r"^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.M)
_GUESS_IMPORT = re.compile(r"^(?:from\s+\S+\s+)?import\s+(.+)$", re.M)
_GUESS_FOR = re.compile(r"^for\s+([A-Za-z_][\w\s,]*?)\s+in\s", re.M)


def guess_definitions(code: str) -> tuple[Ref, ...]:
    """Names the unparsable `code` probably binds at module level, each at its first line."""
    found: dict[str, Ref] = {}

    def add(names: str, start: int) -> None:
        line = code.count("\n", 0, start) + 1
        for part in names.split(","):
            name = part.strip().split(" as ")[-1].strip().split(".")[0]
            if name.isidentifier():
                found.setdefault(name, Ref(name, line, 1))

    for pattern in (_GUESS_ASSIGN, _GUESS_DEF, _GUESS_FOR):
        for match in pattern.finditer(code):
            add(match.group(1), match.start())
    for match in _GUESS_IMPORT.finditer(code):
        add(match.group(1).strip("() "), match.start())
    return tuple(found.values())
