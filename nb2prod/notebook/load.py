"""Read `.ipynb` (nbformat 3 and 4.x) and jupytext text notebooks into a `Notebook`.

The `.ipynb` path is hand-rolled on `json` on purpose: importing nbformat costs
~2 s where JupyterLab is installed (jsonschema's format checkers), and `check`
must answer in 0.3 s. Versions other than 3 and 4 go through nbformat's own
upgrade code, imported lazily.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from nb2prod.core.errors import (
    Empty,
    InvalidCell,
    InvalidJSON,
    InvalidNotebook,
    InvalidText,
    NotAFile,
    NotebookNotFound,
    NotUTF8,
    Unreadable,
    UnsupportedLanguage,
    UnsupportedVersion,
)
from nb2prod.notebook.model import Cell, Notebook

# Extensions jupytext reads as notebooks, and the language each implies.
TEXT_EXTENSIONS: Mapping[str, str] = {
    ".py": "python",
    ".md": "python",
    ".markdown": "python",
    ".myst": "python",
    ".mystnb": "python",
    ".mnb": "python",
    ".qmd": "python",
    ".rmd": "python",
    ".r": "R",
    ".jl": "julia",
    ".ps1": "powershell",
    ".sh": "bash",
    ".scala": "scala",
    ".rs": "rust",
    ".java": "java",
    ".js": "javascript",
    ".ts": "typescript",
    ".cpp": "c++",
    ".c": "c",
    ".m": "matlab",
    ".sas": "sas",
    ".q": "q",
    ".hs": "haskell",
    ".lua": "lua",
    ".go": "go",
    ".ml": "ocaml",
    ".clj": "clojure",
    ".groovy": "groovy",
    ".kt": "kotlin",
    ".cs": "c#",
    ".fs": "f#",
    ".pro": "idl",
    ".wolfram": "wolfram",
    ".coco": "coconut",
    ".xsh": "xonsh",
    ".gp": "gnuplot",
    ".do": "stata",
    ".sage": "sage",
    ".tal": "tal",
    ".swift": "swift",
}
_MARKDOWN_LIKE = frozenset({".md", ".markdown", ".myst", ".mystnb", ".rmd", ".qmd"})
PYTHON_LANGUAGES = frozenset(
    {"python", "python3", "python2", "ipython", "ipython3", "pypy", "pypy3"}
)
# Tools' folders (version control, checkpoints, virtualenvs, caches): neither notebooks nor
# data live there. Skipped when looking for notebooks, and when verify copies a folder to run in.
TOOL_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".ipynb_checkpoints",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)
# Folders not searched for notebooks: tools' folders, and build output, whose notebooks are
# copies. Verify still copies build/ and dist/: a notebook may read its data from them.
SEARCH_SKIP_DIRS = TOOL_DIRS | {"build", "dist"}
# A jupytext header or cell marker in the first bytes marks a text file as a notebook.
_TEXT_NOTEBOOK_MARKERS = ("jupytext:", "jupyter:", "kernelspec:", "# %%", "#%%", "# +\n")


def is_notebook_path(path: Path) -> bool:
    """Say whether a file found while walking a folder should be checked."""
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        return True  # named like a notebook: a broken one gets its own error from `load`
    if suffix not in TEXT_EXTENSIONS:
        return False
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return False  # opening a named pipe would block until someone writes to it
        with open(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return any(marker in head for marker in _TEXT_NOTEBOOK_MARKERS)


def iter_notebook_paths(paths: list[str]) -> Iterator[str]:
    """Expand files and folders (recursively) into notebook paths, sorted per folder.

    Files named explicitly are always yielded, so a bad one gets its own error.
    """
    for raw in paths:
        path = Path(raw)
        try:
            is_dir = path.is_dir()
        except OSError:  # a name too long for the system: `load` reports it for this file alone
            is_dir = False
        if is_dir and path.suffix.lower() != ".ipynb":
            found: list[str] = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SEARCH_SKIP_DIRS)
                for name in files:
                    candidate = Path(root, name)
                    if is_notebook_path(candidate):
                        found.append(str(candidate))
            yield from sorted(found)
        else:
            yield raw


def load(path: str | os.PathLike[str], *, require_python: bool = True) -> Notebook:
    """Read a notebook file without modifying it; raise `InputError` if it cannot be used."""
    name = os.fspath(path)
    return loads(_read(Path(name), name), name, require_python=require_python)


def loads(data: bytes, path: str, *, require_python: bool = True) -> Notebook:
    """Parse a notebook's bytes; `path` names it in errors and its suffix picks the format."""
    suffix = Path(path).suffix.lower()
    if suffix == ".ipynb" or suffix not in TEXT_EXTENSIONS:
        notebook = loads_ipynb(data, path)
    else:
        notebook = _load_text(data, path, suffix)
    if require_python and notebook.language.lower() not in PYTHON_LANGUAGES:
        raise UnsupportedLanguage(path, notebook.language)
    return notebook


def _read(p: Path, name: str) -> bytes:
    """The file's bytes; anything but a readable regular file is the user's to fix."""
    try:
        mode = p.stat().st_mode  # follows symlinks
    except FileNotFoundError:
        if p.is_symlink():
            raise NotebookNotFound(
                name, f"is a broken symbolic link (to {os.readlink(p)})"
            ) from None
        raise NotebookNotFound(name, "no such file") from None
    except OSError as exc:  # a symlink loop, a path through a file, a name too long
        raise Unreadable(name, f"cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise NotAFile(name, "is a directory, not a notebook file")
    if not stat.S_ISREG(mode):
        # a named pipe would block the read forever; a device could stream without end
        raise NotAFile(name, "is not a regular file (a pipe, socket or device)")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise Unreadable(name, f"cannot be read: {exc.strerror or exc}") from None


def loads_ipynb(data: bytes, path: str) -> Notebook:
    """Parse the bytes of an `.ipynb` file."""
    if not data or data.isspace():  # not `data.strip()`: a copy of a file of many megabytes
        raise Empty(path, "is empty, not a notebook")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        raw = orjson.loads(data)  # ~4x faster than json on output-heavy notebooks
    except orjson.JSONDecodeError:
        raw = _loads_slow(data, path)  # the standard library words the error better
    if not isinstance(raw, dict):
        raise InvalidNotebook(path, "is JSON but not a notebook (top level is not an object)")
    major = raw.get("nbformat")
    minor = raw.get("nbformat_minor", 0)
    if not isinstance(major, int) or isinstance(major, bool):
        raise InvalidNotebook(path, "is JSON but not a notebook (no integer 'nbformat' key)")
    if not isinstance(minor, int):
        minor = 0
    if major == 4:
        return _from_v4(raw, path, (4, minor))
    if major == 3:
        return _from_v3(raw, path)
    if major in (1, 2):
        return _from_v4(_upgrade_with_nbformat(raw, path), path, (major, minor))
    raise UnsupportedVersion(
        path, f"has nbformat {major}, which nb2prod does not know (supported: 1 to 4)"
    )


def _loads_slow(data: bytes, path: str) -> Any:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NotUTF8(path, "is UTF-16 text; notebook files are UTF-8 (re-save it as UTF-8)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUTF8(path, f"is not UTF-8 text (byte {exc.start} cannot be decoded)") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidJSON(
            path,
            f"is not valid notebook JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
        ) from None
    except RecursionError:
        raise InvalidJSON(path, "is nested too deeply to be a notebook") from None
    _reject_lone_surrogates(raw, path)
    return raw


def _reject_lone_surrogates(raw: Any, path: str) -> None:
    """Refuse `\\ud800`-style escapes that decode to no character: no later stage could write them.

    Only reached when orjson refused the file, so the extra encode costs nothing on good files.
    """
    try:
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
        return
    except UnicodeEncodeError:
        pass
    except RecursionError:
        raise InvalidJSON(path, "is nested too deeply to be a notebook") from None
    cells = raw.get("cells") if isinstance(raw, dict) else None
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        try:
            json.dumps(cell, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidJSON(
                path,
                f"cell {index} holds an unpaired surrogate escape (such as \\ud800), "
                "which is not a character",
                cell=index,
            ) from None
    raise InvalidJSON(
        path, "holds an unpaired surrogate escape (such as \\ud800), which is not a character"
    )


def _upgrade_with_nbformat(raw: dict[str, Any], path: str) -> dict[str, Any]:
    # lazy: keeps `nb2prod check` from importing nbformat (~2 s); only old notebooks need it
    import nbformat

    try:
        node = nbformat.from_dict(raw)
        upgraded = nbformat.convert(node, 4)
    except Exception as exc:  # nbformat raises many types on malformed old files
        raise UnsupportedVersion(
            path, f"old nbformat {raw.get('nbformat')} could not be upgraded: {_one_line(exc)}"
        ) from None
    return dict(upgraded)


def _one_line(exc: Exception) -> str:
    """A third-party error as one line: YAML errors, for one, draw a caret under the bad column."""
    text = " ".join(
        part.strip() for part in str(exc).splitlines() if part.strip() and part.strip() != "^"
    )
    text = text or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _text(value: Any, path: str, index: int, key: str) -> str:
    """Join a multiline string field, rejecting anything that is not text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        try:
            return "".join(value)  # fails on an item that is not text
        except TypeError:
            pass
    kind = "null" if value is None else type(value).__name__
    detail = ""
    if isinstance(value, list):
        item = next(i for i, part in enumerate(value) if not isinstance(part, str))
        detail = (
            f" (item {item} is {'null' if value[item] is None else type(value[item]).__name__})"
        )
    article = "an" if kind[0] in "aeiou" else "a"
    raise InvalidCell(
        path,
        f"cell {index} has {article} {kind} '{key}' where text was expected{detail}",
        cell=index,
    )


def _language(metadata: Mapping[str, Any]) -> tuple[str, str | None]:
    kernelspec = metadata.get("kernelspec")
    kernel_name = None
    language = None
    if isinstance(kernelspec, dict):
        kernel_name = kernelspec.get("name") if isinstance(kernelspec.get("name"), str) else None
        if isinstance(kernelspec.get("language"), str):
            language = kernelspec["language"]
    info = metadata.get("language_info")
    if language is None and isinstance(info, dict) and isinstance(info.get("name"), str):
        language = info["name"]
    if language is None and isinstance(metadata.get("language"), str):
        language = metadata["language"]
    if language is None and kernel_name:
        lowered = kernel_name.lower()
        if lowered.startswith(("python", "py")) or "conda" in lowered or lowered.startswith("ipy"):
            language = "python"
        elif lowered.startswith("ir"):
            language = "R"
        elif lowered.startswith("julia"):
            language = "julia"
    return (language or "python"), kernel_name


def _cell_list(raw: Any, path: str) -> list[Any]:
    if not isinstance(raw, list):
        raise InvalidNotebook(path, "is not a notebook: 'cells' is missing or not a list")
    return raw


def _from_v4(raw: Mapping[str, Any], path: str, version: tuple[int, int]) -> Notebook:
    metadata = raw.get("metadata") or {}
    if not isinstance(metadata, dict):
        metadata = {}
    language, kernel_name = _language(metadata)
    cells: list[Cell] = []
    for index, cell in enumerate(_cell_list(raw.get("cells"), path)):
        if not isinstance(cell, dict):
            raise InvalidCell(path, f"cell {index} is not an object", cell=index)
        cell_type = cell.get("cell_type")
        if not isinstance(cell_type, str):
            raise InvalidCell(
                path, f"cell {index} has no valid cell_type ({cell_type!r})", cell=index
            )
        if cell_type == "heading":  # a v3 leftover some tools still write
            cell_type = "markdown"
        elif cell_type not in ("code", "markdown", "raw"):
            cell_type = (
                "raw"  # nbformat lets later minor versions add cell types: not code, so skipped
            )
        source = _text(cell.get("source", ""), path, index, "source")
        cells.append(_make_cell(cell, index, cell_type, source, path))
    return Notebook(path, tuple(cells), version, language, "ipynb", kernel_name, metadata)


def _make_cell(cell: Mapping[str, Any], index: int, cell_type: str, source: str, path: str) -> Cell:
    cell_id = cell.get("id")
    if not isinstance(cell_id, str) or not cell_id:
        cell_id = f"cell-{index}"
    meta = cell.get("metadata") or {}
    if not isinstance(meta, dict):
        meta = {}
    tags = meta.get("tags") or ()
    tags = tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()
    count = None
    outputs: tuple[Mapping[str, Any], ...] = ()
    if cell_type == "code":
        ec = cell.get("execution_count", cell.get("prompt_number"))
        count = ec if isinstance(ec, int) and not isinstance(ec, bool) else None
        raw_outputs = cell.get("outputs") or ()
        if isinstance(raw_outputs, list):
            outputs = tuple(o for o in raw_outputs if isinstance(o, dict))
    return Cell(index, cell_id, cell_type, source, count, outputs, tags, meta)


def _from_v3(raw: Mapping[str, Any], path: str) -> Notebook:
    """Upgrade an nbformat 3 notebook in memory: worksheets, `input`, `prompt_number`, headings."""
    metadata = dict(raw.get("metadata") or {})
    worksheets = raw.get("worksheets")
    if not isinstance(worksheets, list):
        raise InvalidNotebook(path, "is not an nbformat 3 notebook: 'worksheets' is missing")
    cells: list[Cell] = []
    code_language = None
    for number, sheet in enumerate(worksheets):
        if not isinstance(sheet, dict):
            raise InvalidNotebook(
                path, f"is not an nbformat 3 notebook: worksheet {number} is not an object"
            )
        for cell in _cell_list(sheet.get("cells", []), path):
            index = len(cells)
            if not isinstance(cell, dict):
                raise InvalidCell(path, f"cell {index} is not an object", cell=index)
            kind = cell.get("cell_type")
            if kind == "code":
                source = _text(cell.get("input", ""), path, index, "input")
                code_language = code_language or cell.get("language")
                cells.append(_make_cell(cell, index, "code", source, path))
            elif kind == "heading":
                level = cell.get("level", 1)
                level = level if isinstance(level, int) and 1 <= level <= 6 else 1
                text = _text(cell.get("source", ""), path, index, "source")
                cells.append(_make_cell(cell, index, "markdown", "#" * level + " " + text, path))
            elif kind in ("markdown", "raw", "html"):
                text = _text(cell.get("source", ""), path, index, "source")
                cells.append(
                    _make_cell(cell, index, "markdown" if kind != "raw" else "raw", text, path)
                )
            else:
                raise InvalidCell(path, f"cell {index} has unknown cell_type {kind!r}", cell=index)
    if "language" not in metadata and isinstance(code_language, str):
        metadata["language"] = code_language
    language, kernel_name = _language(metadata)
    minor = raw.get("nbformat_minor", 0)
    return Notebook(
        path,
        tuple(cells),
        (3, minor if isinstance(minor, int) else 0),
        language,
        "ipynb",
        kernel_name,
        metadata,
    )


def _load_text(data: bytes, path: str, suffix: str) -> Notebook:
    """Read a jupytext text notebook (percent, light, hydrogen, Markdown, MyST, Rmd, ...)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUTF8(path, f"is not UTF-8 text (byte {exc.start} cannot be decoded)") from None
    # lazy: jupytext imports nbformat, which `nb2prod check` must not; only text notebooks need it
    import jupytext

    ext = Path(path).suffix  # jupytext's extension names are case-sensitive (.Rmd, .R)
    try:
        nb = jupytext.reads(text, fmt=ext)
    except Exception as exc:  # jupytext surfaces parser errors of many kinds
        raise InvalidText(
            path, f"could not be read as a jupytext notebook: {_one_line(exc)}"
        ) from None
    metadata = dict(nb.metadata)
    fmt = (metadata.get("jupytext") or {}).get("text_representation", {}).get("format_name")
    language, kernel_name = _language(metadata)
    kernelspec = metadata.get("kernelspec")
    has_language = isinstance(kernelspec, dict) and kernelspec.get("language")
    # a script's extension names its language; a Markdown-like file with a kernelspec says it itself
    if not has_language and not (suffix in _MARKDOWN_LIKE and kernelspec):
        language = TEXT_EXTENSIONS.get(suffix, language)
    cells = tuple(
        _make_cell(dict(cell), index, cell.cell_type, cell.source, path)
        for index, cell in enumerate(nb.cells)
    )
    return Notebook(
        path,
        cells,
        (4, 5),
        language,
        f"{suffix.lstrip('.')}:{fmt or 'auto'}",
        kernel_name,
        metadata,
    )
