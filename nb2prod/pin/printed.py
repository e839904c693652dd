"""Versions a notebook's outputs show: `print(np.__version__)`, `pip list`, `%watermark`, pip's log.

Nothing here guesses: a printed version is attached to a package only when the
output names it on the same line, or when the cell printed exactly as many versions
as it asked for (`print(np.__version__, pd.__version__)` -> two versions, in order).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nb2prod.notebook.model import Cell
from nb2prod.pin.model import Evidence, EvidenceKind
from nb2prod.pin.versions import normalized

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_VERSION_TOKEN = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+)+[0-9A-Za-z.+!\-]*)")
_VERSION_REF = re.compile(
    r"\b([A-Za-z_]\w*)\.(?:__version__|VERSION|version\.(?:version|full_version|VERSION|__version__))\b"
)
_DIST_REF = re.compile(
    r"""\b(?:version|get_distribution|require)\(\s*['"]([A-Za-z][A-Za-z0-9_.\-]*)['"]\s*\)"""
)
_LISTING = re.compile(
    r"\b(?:pip3?|conda|mamba)\s+(?:freeze|list|show)\b|%watermark|\bwatermark\s*\(|%version_information"
    r"|\bsession_info\b|\bshow_versions\s*\("
)
_PYTHON_QUERY = re.compile(r"\bsys\.version\b|python_version\s*\(|\bpython3?\s+(?:--version|-V)\b")
_LISTING_LINE = re.compile(
    r"^\s*([A-Za-z][A-Za-z0-9_.\-]*)\s*(==|:|\s)\s*v?(\d[0-9A-Za-z.+!\-]*)(?:\s.*)?$"
)
_PYTHON_LINE = re.compile(
    r"\b(?:C?python|python version)\b\D{0,12}?(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE
)
_NOT_PACKAGES = frozenset(
    {
        "python",
        "cpython",
        "pypy",
        "os",
        "release",
        "machine",
        "system",
        "processor",
        "compiler",
        "cpu",
        "last",
        "updated",
    }
)


def output_versions(
    cell: Cell, aliases: Mapping[str, str], *, ran_install: bool
) -> tuple[list[Evidence], list[Evidence]]:
    """The package versions and the Python versions a cell's outputs show.

    `aliases` maps local names to the modules they import (`np` -> numpy); `ran_install` says
    the cell holds an install command, whose output names what pip installed.
    """
    order = (cell.execution_count if cell.execution_count is not None else -1, cell.index)
    versions = _printed_versions(cell, aliases, order)
    python: list[Evidence] = []
    if _LISTING.search(cell.source):
        entries, py = _listing_versions(cell, order)
        versions.extend(entries)
        python.extend(py)
    if ran_install:
        versions.extend(_pip_install_output(cell, order))
    if _PYTHON_QUERY.search(cell.source):
        python.extend(_printed_python(cell, order))
    return versions, python


def _shown(
    cell: Cell, name: str, version: str, line: int, detail: str, order: tuple[int, int]
) -> Evidence:
    """Evidence that `cell`'s output showed version `version` of `name` (a package or Python)."""
    return Evidence(
        EvidenceKind.OUTPUT,
        name,
        version,
        cell=cell.index,
        cell_id=cell.id,
        line=line,
        detail=detail,
        order=order,
    )


def _output_texts(cell: Cell, *, html: bool = False) -> list[str]:
    texts = []
    for output in cell.outputs:
        value: Any = output.get("text")
        if value is None:
            data = output.get("data")
            if isinstance(data, dict):
                value = data.get("text/html") if html else None
                if value is None:
                    value = data.get("text/plain")
        if isinstance(value, list):
            value = "".join(v for v in value if isinstance(v, str))
        if isinstance(value, str):
            texts.append(_ANSI.sub("", value))
    return texts


def _lines(cell: Cell) -> list[str]:
    return [line for text in _output_texts(cell) for line in text.splitlines()]


def _printed_versions(
    cell: Cell, aliases: Mapping[str, str], order: tuple[int, int]
) -> list[Evidence]:
    refs: list[tuple[str, str, int, str]] = []  # (name, label, line, detail)
    for number, text in enumerate(cell.source.splitlines(), start=1):
        if text.lstrip().startswith("#"):
            continue
        for match in _VERSION_REF.finditer(text):
            module = aliases.get(match.group(1))
            if module is not None:
                refs.append((module, match.group(1), number, match.group(0)))
        for match in _DIST_REF.finditer(text):
            refs.append((match.group(1), match.group(1), number, match.group(0)))
    if not refs:
        return []
    lines = _lines(cell)
    per_line = [[m.group(1) for m in _VERSION_TOKEN.finditer(line)] for line in lines]
    flat = [token for tokens in per_line for token in tokens]
    found: dict[int, str] = {}
    if len(flat) == len(refs):
        found = dict(enumerate(flat))
    else:  # only lines that name the package and hold one version
        used: set[int] = set()
        for index, (name, label, _, _) in enumerate(refs):
            pattern = re.compile(
                rf"(?<![\w.]){re.escape(label)}(?![\w])|(?<![\w.]){re.escape(name)}(?![\w])",
                re.IGNORECASE,
            )
            for number, line in enumerate(lines):
                if number not in used and len(per_line[number]) == 1 and pattern.search(line):
                    found[index] = per_line[number][0]
                    used.add(number)
                    break
    evidence = []
    for index, token in sorted(found.items()):
        version = normalized(token)
        if version is None:
            continue
        name, _, source_line, detail = refs[index]
        evidence.append(
            _shown(cell, name, version, source_line, f"{detail} printed {version}", order)
        )
    return evidence


def _listing_versions(cell: Cell, order: tuple[int, int]) -> tuple[list[Evidence], list[Evidence]]:
    """pip freeze / pip list / pip show / conda list / %watermark / session_info / %version_information."""
    match = _LISTING.search(cell.source)
    what = match.group(0).strip(" (") if match else "listing"
    line = cell.source[: match.start()].count("\n") + 1 if match else 1
    pairs: list[tuple[str, str]] = []
    for output in cell.outputs:  # %version_information: a JSON table
        data = output.get("data")
        table = data.get("application/json") if isinstance(data, dict) else None
        if isinstance(table, dict) and isinstance(table.get("Software versions"), list):
            for row in table["Software versions"]:
                if (
                    isinstance(row, dict)
                    and isinstance(row.get("module"), str)
                    and isinstance(row.get("version"), str)
                ):
                    pairs.append(
                        (row["module"], row["version"].split()[0] if row["version"].split() else "")
                    )
    texts = _output_texts(cell)
    if not pairs and not any(_LISTING_LINE.match(line) for t in texts for line in t.splitlines()):
        texts = [
            re.sub(r"<[^>]+>", "\n", t) for t in _output_texts(cell, html=True)
        ]  # session_info HTML
    current: str | None = None
    for text in texts:
        for raw in text.splitlines():
            show = re.match(r"^\s*(Name|Version):\s*(\S+)", raw)
            if show:  # pip show: "Name: x" then "Version: y"
                if show.group(1) == "Name":
                    current = show.group(2)
                elif current:
                    pairs.append((current, show.group(2)))
                    current = None
                continue
            entry = _LISTING_LINE.match(raw)
            if entry and (entry.group(2) == "==" or "." in entry.group(3)):
                pairs.append((entry.group(1), entry.group(3)))
    versions: list[Evidence] = []
    python: list[Evidence] = []
    for name, raw_version in pairs:
        version = normalized(raw_version)
        if version is None:
            continue
        if name.lower() in ("python", "cpython"):
            python.append(_shown(cell, "python", version, line, f"{what} printed {version}", order))
        elif name.lower() not in _NOT_PACKAGES:
            versions.append(
                _shown(cell, name, version, line, f"{what} printed {name} {version}", order)
            )
    if not python:
        python.extend(_printed_python(cell, order, detail=what, line=line))
    return versions, python


def _printed_python(
    cell: Cell, order: tuple[int, int], detail: str = "", line: int | None = None
) -> list[Evidence]:
    """The first Python version the cell's outputs show, if any."""
    for text in _output_texts(cell):
        for match in _PYTHON_LINE.finditer(text):
            version = normalized(match.group(1))
            if version:
                said = f"{detail or 'output'} printed Python {version}"
                return [_shown(cell, "python", version, line or 1, said, order)]
    lines = _lines(cell)  # `sys.version` as the cell's value: '3.6.7 |Anaconda ...'
    tokens = [m.group(1) for line_text in lines for m in _VERSION_TOKEN.finditer(line_text)]
    if len(lines) <= 2 and tokens and "sys.version" in cell.source:
        version = normalized(tokens[0])
        if version:
            return [_shown(cell, "python", version, 1, f"sys.version printed {version}", order)]
    return []


_PIP_DONE = re.compile(r"Successfully installed (.+)")
_PIP_ALREADY = re.compile(
    r"Requirement already (?:satisfied|up-to-date): ([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?[^\n]*?\(([0-9][^)\s]*)\)\s*$",
    re.MULTILINE,
)


def _pip_install_output(cell: Cell, order: tuple[int, int]) -> list[Evidence]:
    """What pip reported installing: the versions that were really there afterwards."""
    reported: list[tuple[str, str, str]] = []  # (name, raw version, how pip put it)
    for text in _output_texts(cell):
        for match in _PIP_DONE.finditer(text):
            for token in match.group(1).split():
                name, _, raw = token.rpartition("-")
                reported.append((name, raw, "installing {name} {version}"))
        for match in _PIP_ALREADY.finditer(text):
            reported.append((match.group(1), match.group(2), "{name} {version} already installed"))
    found = []
    for name, raw, how in reported:
        version = normalized(raw)
        if name and version:
            said = "pip reported " + how.format(name=name, version=version)
            found.append(_shown(cell, name, version, 1, said, order))
    return found
