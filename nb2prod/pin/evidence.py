"""Evidence the notebook itself records: its imports, its install commands, the versions it printed.

Nothing here guesses: a printed version is attached to a package only when the
output names it on the same line, or when the cell printed exactly as many versions
as it asked for (`print(np.__version__, pd.__version__)` -> two versions, in order).
"""

from __future__ import annotations

import os
import re
import shlex
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nb2prod.analysis.dataflow import CellSymbols, analyze_cell
from nb2prod.notebook.model import Cell, Notebook
from nb2prod.pin.model import Evidence, EvidenceKind, ImportUse


@dataclass(frozen=True, slots=True)
class Requested:
    """One package named by an install command."""

    name: str  # distribution name (conda names translated to PyPI's)
    extras: tuple[str, ...]
    version: str | None  # an exact `==` version, normalised
    specifier: str | None  # any other constraint
    raw: str


@dataclass(frozen=True, slots=True)
class InstallCommand:
    """`%pip install ...`, `!pip install ...`, `%conda install ...` (or the same in a %%bash cell)."""

    tool: str  # "pip" or "conda"
    text: str
    cell: int
    cell_id: str
    line: int
    requested: tuple[Requested, ...]
    skipped: tuple[str, ...]  # arguments naming no distribution: -r files, paths, URLs, {variables}
    python: str | None = None  # `conda install python=3.8`
    order: tuple[int, int] = (-1, -1)


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
    search_dirs: list[str] = []
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
        for _, arg in facts.path_additions:
            search_dirs.append(os.path.normpath(os.path.join(folder, os.path.expanduser(arg))))
    aliases = {name: top.split(".")[0] for name, top in aliases.items() if top}
    has_install = {c.cell for c in installs}
    for cell, _ in per_cell:
        if not cell.outputs:
            continue
        order = (cell.execution_count if cell.execution_count is not None else -1, cell.index)
        versions.extend(_printed_versions(cell, aliases, order))
        if _LISTING.search(cell.source):
            entries, py = _listing_versions(cell, order)
            versions.extend(entries)
            python.extend(py)
        if cell.index in has_install:
            versions.extend(_pip_install_output(cell, order))
        if _PYTHON_QUERY.search(cell.source):
            python.extend(_printed_python(cell, order))
    info = (notebook.metadata or {}).get("language_info")
    if isinstance(info, dict) and isinstance(info.get("version"), str):
        version = _version(info["version"])
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
        tuple(dict.fromkeys(search_dirs)),
        tuple(written.items()),
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
    path_additions: tuple[tuple[int, str], ...]


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
        return _CellFacts((), tuple((n, text) for n, text in enumerate(lines[1:], start=2)), ())
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
    additions = tuple(
        (c.line + offset, c.string_args[0])
        for c in sym.calls
        if c.name in ("sys.path.append", "sys.path.insert") and c.string_args
    )
    return _CellFacts(imports, tuple(commands), additions)


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
    return _CellFacts(tuple(imports), tuple(commands), ())


# ---------------------------------------------------------------- install commands


_SHELL_SPLIT = re.compile(r"&&|\|\||;|\|")
_SHELL_COMMENT = re.compile(r"(?:^|\s)#.*$")
_PIP_VALUE_OPTIONS = frozenset(
    {
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-t",
        "--target",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--root",
        "--prefix",
        "--src",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--upgrade-strategy",
        "--global-option",
        "--install-option",
        "-C",
        "--config-settings",
        "--trusted-host",
        "--cache-dir",
        "--log",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--cert",
        "--client-cert",
        "--progress-bar",
        "--report",
        "--python",
        "--only-binary",
        "--no-binary",
        "--use-feature",
        "--use-deprecated",
        "--root-user-action",
        "--keyring-provider",
        "--log-file",
        "--group",
        "-p",
    }
)
_CONDA_VALUE_OPTIONS = frozenset(
    {
        "-c",
        "--channel",
        "-n",
        "--name",
        "-p",
        "--prefix",
        "--file",
        "--repodata-fn",
        "--solver",
        "--experimental-solver",
        "--subdir",
        "--platform",
    }
)
_EGG = re.compile(r"#egg=([A-Za-z0-9_.\-]+)")
_CONDA_SPEC = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(.*)$")


def _tool_at(tokens: list[str]) -> tuple[str, int] | None:
    """("pip" | "conda", index just after `install`), or None when this is no install command."""
    for i, token in enumerate(tokens):
        if token != "install" or i == 0:
            continue
        before = os.path.basename(tokens[i - 1]).lower()
        if re.fullmatch(r"pip(?:\d(?:\.\d+)?)?", before):
            return "pip", i + 1
        if before in ("conda", "mamba", "micromamba"):
            return "conda", i + 1
    return None


def parse_install(
    text: str, cell: Cell, line: int, conda_names: Mapping[str, str]
) -> Iterator[InstallCommand]:
    """Every install command in one shell line (`a && pip install x; conda install y`)."""
    order = (cell.execution_count if cell.execution_count is not None else -1, cell.index)
    for segment in _SHELL_SPLIT.split(text):
        segment = _SHELL_COMMENT.sub("", segment)  # shlex would also cut `url#egg=name`
        try:
            tokens = shlex.split(segment)
        except ValueError:
            tokens = segment.split()
        found = _tool_at(tokens)
        if found is None:
            continue
        tool, start = found
        args = tokens[start:]
        if tool == "pip":
            requested, skipped = _pip_arguments(args)
            python = None
        else:
            requested, skipped, python = _conda_arguments(args, conda_names)
        yield InstallCommand(
            tool,
            segment.strip(),
            cell.index,
            cell.id,
            line,
            tuple(requested),
            tuple(skipped),
            python,
            order,
        )


def _pip_arguments(args: list[str]) -> tuple[list[Requested], list[str]]:
    from packaging.requirements import InvalidRequirement, Requirement  # lazy: only install cells

    requested: list[Requested] = []
    skipped: list[str] = []
    skip_next = False
    for i, arg in enumerate(args):
        if skip_next:
            skip_next = False
            if args[i - 1] in ("-r", "--requirement", "-e", "--editable", "-c", "--constraint"):
                skipped.append(f"{args[i - 1]} {arg}")
            continue
        if arg == "-":  # `pip install - q - U x`, seen in the wild: a broken "-q"
            skip_next = True
            continue
        if arg.startswith("-"):
            if arg in _PIP_VALUE_OPTIONS:
                skip_next = True
            continue
        if "{" in arg or "$" in arg:  # an IPython or shell variable: the name is not in the text
            skipped.append(arg)
            continue
        egg = _EGG.search(arg)
        if egg:
            requested.append(Requested(egg.group(1), (), None, None, arg))
            continue
        if (
            "/" in arg
            or "\\" in arg
            or arg.startswith(".")
            or arg.endswith((".whl", ".tar.gz", ".zip"))
        ):
            skipped.append(arg)
            continue
        try:
            req = Requirement(arg)
        except InvalidRequirement:
            skipped.append(arg)
            continue
        if req.url:
            skipped.append(arg)
            continue
        version, specifier = _split_specifier(str(req.specifier))
        requested.append(Requested(req.name, tuple(sorted(req.extras)), version, specifier, arg))
    return requested, skipped


def _split_specifier(spec: str) -> tuple[str | None, str | None]:
    """`==1.2` -> ("1.2", None); `>=1,<2` -> (None, ">=1,<2"); "" -> (None, None)."""
    if not spec:
        return None, None
    parts = spec.split(",")
    if len(parts) == 1 and parts[0].startswith("==") and "*" not in parts[0]:
        version = _version(parts[0].lstrip("="))
        if version:
            return version, None
    return None, spec


def _conda_arguments(
    args: list[str], conda_names: Mapping[str, str]
) -> tuple[list[Requested], list[str], str | None]:
    requested: list[Requested] = []
    skipped: list[str] = []
    python = None
    skip_next = False
    for i, arg in enumerate(args):
        if skip_next:
            skip_next = False
            if args[i - 1] == "--file":
                skipped.append(f"--file {arg}")
            continue
        if arg.startswith("-"):
            if arg in _CONDA_VALUE_OPTIONS:
                skip_next = True
            continue
        spec = arg.split("::")[-1]  # conda-forge::numpy=1.2
        match = _CONDA_SPEC.match(spec)
        if not match or "{" in arg or "/" in arg:
            skipped.append(arg)
            continue
        name, rest = match.group(1), match.group(2).strip()
        version, specifier = None, None
        if rest.startswith("=="):
            version, specifier = _split_specifier("==" + rest[2:].split("=")[0])
        elif rest.startswith(
            "="
        ):  # conda's "=1.2" means 1.2.*; "=1.2.3" or "=1.2=build" name a release
            body = rest[1:].split("=")
            if len(body) > 1 or (body[0].count(".") >= 2 and "*" not in body[0]):
                version = _version(body[0])
            if version is None and body[0]:
                specifier = "==" + body[0].rstrip("*").rstrip(".") + ".*"
        elif rest:
            specifier = rest.replace(" ", "")
        if name.lower() == "python":
            python = version or (specifier.lstrip("=").rstrip(".*") if specifier else None)
            continue
        requested.append(
            Requested(conda_names.get(name.lower(), name), (), version, specifier, arg)
        )
    return requested, skipped, python


# ---------------------------------------------------------------- printed versions


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


def _version(text: str) -> str | None:
    """A PEP 440 version, normalised (`2.0.0-b1` -> `2.0.0b1`), or None for anything else."""
    from packaging.version import InvalidVersion, Version  # lazy: ~10 ms

    text = text.strip().strip("'\"").rstrip(".-,;")
    try:
        return str(Version(text))
    except InvalidVersion:
        return None


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
        version = _version(token)
        if version is None:
            continue
        name, _, source_line, detail = refs[index]
        evidence.append(
            Evidence(
                EvidenceKind.OUTPUT,
                name,
                version,
                cell=cell.index,
                cell_id=cell.id,
                line=source_line,
                detail=f"{detail} printed {version}",
                order=order,
            )
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
        version = _version(raw_version)
        if version is None:
            continue
        if name.lower() in ("python", "cpython"):
            python.append(
                Evidence(
                    EvidenceKind.OUTPUT,
                    "python",
                    version,
                    cell=cell.index,
                    cell_id=cell.id,
                    line=line,
                    detail=f"{what} printed {version}",
                    order=order,
                )
            )
        elif name.lower() not in _NOT_PACKAGES:
            versions.append(
                Evidence(
                    EvidenceKind.OUTPUT,
                    name,
                    version,
                    cell=cell.index,
                    cell_id=cell.id,
                    line=line,
                    detail=f"{what} printed {name} {version}",
                    order=order,
                )
            )
    if not python:
        python.extend(_printed_python(cell, order, detail=what, line=line))
    return versions, python


def _printed_python(
    cell: Cell, order: tuple[int, int], detail: str = "", line: int | None = None
) -> list[Evidence]:
    found = []
    for text in _output_texts(cell):
        for match in _PYTHON_LINE.finditer(text):
            version = _version(match.group(1))
            if version:
                found.append(
                    Evidence(
                        EvidenceKind.OUTPUT,
                        "python",
                        version,
                        cell=cell.index,
                        cell_id=cell.id,
                        line=line or 1,
                        detail=f"{detail or 'output'} printed Python {version}",
                        order=order,
                    )
                )
    if not found:  # `sys.version` as the cell's value: '3.6.7 |Anaconda ...'
        lines = _lines(cell)
        tokens = [m.group(1) for line_text in lines for m in _VERSION_TOKEN.finditer(line_text)]
        if len(lines) <= 2 and tokens and "sys.version" in cell.source:
            version = _version(tokens[0])
            if version:
                found.append(
                    Evidence(
                        EvidenceKind.OUTPUT,
                        "python",
                        version,
                        cell=cell.index,
                        cell_id=cell.id,
                        line=1,
                        detail=f"sys.version printed {version}",
                        order=order,
                    )
                )
    return found[:1]


_PIP_DONE = re.compile(r"Successfully installed (.+)")
_PIP_ALREADY = re.compile(
    r"Requirement already (?:satisfied|up-to-date): ([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?[^\n]*?\(([0-9][^)\s]*)\)\s*$",
    re.MULTILINE,
)


def _pip_install_output(cell: Cell, order: tuple[int, int]) -> list[Evidence]:
    """What pip reported installing: the versions that were really there afterwards."""
    found = []
    for text in _output_texts(cell):
        for match in _PIP_DONE.finditer(text):
            for token in match.group(1).split():
                name, _, raw = token.rpartition("-")
                version = _version(raw)
                if name and version:
                    found.append(
                        Evidence(
                            EvidenceKind.OUTPUT,
                            name,
                            version,
                            cell=cell.index,
                            cell_id=cell.id,
                            line=1,
                            detail=f"pip reported installing {name} {version}",
                            order=order,
                        )
                    )
        for match in _PIP_ALREADY.finditer(text):
            version = _version(match.group(2))
            if version:
                found.append(
                    Evidence(
                        EvidenceKind.OUTPUT,
                        match.group(1),
                        version,
                        cell=cell.index,
                        cell_id=cell.id,
                        line=1,
                        detail=f"pip reported {match.group(1)} {version} already installed",
                        order=order,
                    )
                )
    return found
