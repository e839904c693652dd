"""Evidence the notebook itself records: its imports, its install commands, the versions it printed.

Install commands are read in `installs.py`, printed versions in `printed.py`.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nb2prod.analysis.dataflow import analyze_cell
from nb2prod.analysis.records import CellSymbols
from nb2prod.notebook.model import Cell, Notebook
from nb2prod.pin.installs import InstallCommand, parse_install
from nb2prod.pin.model import Evidence, EvidenceKind, ImportUse
from nb2prod.pin.printed import output_versions
from nb2prod.pin.search_path import project_folders, search_folders
from nb2prod.pin.versions import normalized


@dataclass(frozen=True, slots=True)
class NotebookEvidence:
    imports: tuple[ImportUse, ...]
    installs: tuple[InstallCommand, ...]
    versions: tuple[
        Evidence, ...
    ]  # printed versions; `name` is a module or distribution as printed
    python: tuple[Evidence, ...]  # language_info.version and printed Python versions
    search_dirs: tuple[str, ...]  # folders the notebook adds to sys.path (besides its own)
    written_modules: tuple[tuple[str, str], ...] = ()  # (module, how): %%writefile x.py, f2py -m x
    project_dirs: tuple[str, ...] = ()  # its project root (and root/src): its own modules too


def collect(
    notebook: Notebook,
    symbols: Sequence[CellSymbols | None] | None = None,
    conda_names: Mapping[str, str] | None = None,
) -> NotebookEvidence:
    """Read every code cell once and gather the evidence `pin` fuses."""
    conda_names = conda_names or {}
    imports: list[ImportUse] = []
    installs: list[InstallCommand] = []
    versions: list[Evidence] = []
    python: list[Evidence] = []
    written: dict[str, str] = {}
    folder = os.path.dirname(os.path.abspath(notebook.path))
    aliases: dict[
        str, str
    ] = {}  # local name -> top-level module, later imports winning as in the kernel
    with warnings.catch_warnings():  # `"\l"` in someone's cell is their business, not a pin warning
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        per_cell = [
            (c, _facts_of(c, symbols)) for c in notebook.cells if c.is_code and not c.is_blank
        ]
    for cell, facts in per_cell:
        written.update((m, f"written by cell {cell.index}") for m in _written_modules(cell.source))
        for module, name, line, level, bound in facts.imports:
            imports.append(
                ImportUse(
                    module,
                    module.split(".")[0] if not level else "",
                    name,
                    cell.index,
                    cell.id,
                    line,
                    level,
                )
            )
            if name is None and not level and bound:  # `import numpy as np` -> np: numpy
                aliases[bound] = (
                    module if "." not in module or bound == module.split(".")[0] else ""
                )
        for line, text in facts.commands:
            installs.extend(parse_install(text, cell, line, conda_names))
    aliases = {name: top.split(".")[0] for name, top in aliases.items() if top}
    has_install = {c.cell for c in installs}
    for cell, _ in per_cell:
        if cell.outputs:
            printed, printed_python = output_versions(
                cell, aliases, ran_install=cell.index in has_install
            )
            versions.extend(printed)
            python.extend(printed_python)
    info = (notebook.metadata or {}).get("language_info")
    if isinstance(info, dict) and isinstance(info.get("version"), str):
        version = normalized(info["version"])
        if version:
            python.insert(
                0,
                Evidence(
                    EvidenceKind.METADATA,
                    "python",
                    version,
                    detail="metadata.language_info.version",
                ),
            )
    for command in installs:
        if command.python:
            python.append(
                Evidence(
                    EvidenceKind.INSTALL,
                    "python",
                    command.python,
                    cell=command.cell,
                    cell_id=command.cell_id,
                    line=command.line,
                    detail=command.text,
                    order=command.order,
                )
            )
    return NotebookEvidence(
        tuple(imports),
        tuple(installs),
        tuple(versions),
        tuple(python),
        search_folders(notebook),
        tuple(written.items()),
        project_folders(folder),
    )


# ---------------------------------------------------------------- per-cell facts


def _facts_of(cell: Cell, symbols: Sequence[CellSymbols | None] | None) -> _CellFacts:
    sym = symbols[cell.index] if symbols is not None else None
    return _cell_facts(cell, sym if sym is not None else analyze_cell(cell.source))


@dataclass(frozen=True, slots=True)
class _CellFacts:
    imports: tuple[
        tuple[str, str | None, int, int, str | None], ...
    ]  # module, member, line, level, bound
    commands: tuple[tuple[int, str], ...]  # line, shell-like text that may hold an install


_SHELL_CELL = re.compile(r"^\s*%%(?:bash|sh|system|script\s+(?:ba)?sh)\b")
_IMPORT_LINE = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+?)[ \t]*(?:[;#].*)?$")
_FROM_LINE = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t(]+([\w, \t]*)")
_MAGIC_LINE = re.compile(r"^[ \t]*[%!]+(.*)$")
# shipped inside IPython (the last four only in IPython < 4, where %load_ext found them the same way)
_IPYTHON_EXTENSIONS = frozenset(
    {"autoreload", "storemagic", "cythonmagic", "rmagic", "octavemagic", "sympyprinting"}
)
_COMMAND_TOOLS = frozenset(
    {"pip", "pip3", "conda", "mamba", "micromamba", "uv", "python", "python3"}
)


_WRITEFILE = re.compile(r"^\s*%%(?:writefile|file)\s+(?:-a\s+)?['\"]?([^\s'\"]+)")
_F2PY = re.compile(r"\bf2py\b[^\n]*?\s-m\s+([A-Za-z_]\w*)")


def _written_modules(source: str) -> list[str]:
    """Modules the notebook writes or builds itself: `%%writefile helpers.py`, `!f2py -c x.f -m x`."""
    found = []
    match = _WRITEFILE.match(source)
    if match:
        name = os.path.basename(match.group(1))
        stem, ext = os.path.splitext(name)
        if ext in (".py", ".pyx") and stem.isidentifier():
            found.append(stem)
    found.extend(_F2PY.findall(source))
    return found


def _cell_facts(cell: Cell, sym: CellSymbols) -> _CellFacts:
    source = cell.source
    if _SHELL_CELL.match(source):  # %%bash: every body line is a shell command
        lines = source.splitlines()
        return _CellFacts((), tuple((n, text) for n, text in enumerate(lines[1:], start=2)))
    offset = 0
    if sym.parse_error is not None and source.lstrip().startswith("%%"):
        # %%capture + %pip install: the body is not translated before parsing; analyse it alone
        body = source.partition("\n")[2]
        inner = analyze_cell(body)
        if inner.parse_error is None:
            sym, offset = inner, 1
    if sym.parse_error is not None:
        return _regex_facts(source)
    imports = tuple((i.module, i.name, i.line + offset, i.level, i.bound_as) for i in sym.imports)
    commands = []
    for magic in sym.magics:
        if magic.kind == "line" and magic.name in ("load_ext", "reload_ext") and magic.args.split():
            # an extension is a module the kernel imports (%load_ext watermark needs watermark)
            module = magic.args.split()[0]
            module = f"IPython.extensions.{module}" if module in _IPYTHON_EXTENSIONS else module
            imports += ((module, None, magic.line + offset, 0, None),)
        elif magic.kind == "shell":
            commands.append((magic.line + offset, magic.args))
        elif magic.kind == "line" and magic.name in _COMMAND_TOOLS:
            commands.append((magic.line + offset, f"{magic.name} {magic.args}"))
    return _CellFacts(imports, tuple(commands))


def _regex_facts(source: str) -> _CellFacts:
    """A cell that does not parse (Python 2 `print x`, a typo): read its import and install lines."""
    imports: list[tuple[str, str | None, int, int, str | None]] = []
    commands: list[tuple[int, str]] = []
    for number, text in enumerate(source.splitlines(), start=1):
        match = _IMPORT_LINE.match(text)
        if match:
            for part in match.group(1).split(","):
                words = part.split()
                if words and re.fullmatch(r"[A-Za-z_][\w.]*", words[0]):
                    bound = (
                        words[2] if len(words) == 3 and words[1] == "as" else words[0].split(".")[0]
                    )
                    imports.append((words[0], None, number, 0, bound))
            continue
        match = _FROM_LINE.match(text)
        if match:
            level, module = len(match.group(1)), match.group(2)
            if module or level:
                for member in (m.split()[0] for m in match.group(3).split(",") if m.strip()):
                    imports.append(
                        (module, member, number, level, None if member == "*" else member)
                    )
            continue
        match = _MAGIC_LINE.match(text)
        if match:
            commands.append((number, match.group(1)))
    return _CellFacts(tuple(imports), tuple(commands))
