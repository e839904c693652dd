"""The project a notebook belongs to, and the relative paths its code names for file operations.

Real projects keep `notebooks/` beside `data/`, and a notebook reads `../data/raw.csv`. Two
stages need the folder that makes such paths work: `verify` runs the notebook and its package
in a view of it, and `convert` re-expresses the paths relative to it (`config.path(...)`), so
the package works when run from there. Both find it here, from the same facts:

- **markers** (`.git`, `pyproject.toml`, `setup.cfg`, `setup.py`): the nearest folder above
  the notebook holding one, and holding the paths the notebook names, is its project root;
  without a marker, the deepest folder holding the notebook's folder and those paths, at most
  `MAX_LEVELS_UP` levels up. Never `/`, nor the user's home folder (unless the notebook sits
  there), nor anything above it;
- the **span**: the smallest folder holding the notebook's folder and the paths it names.
  verify's view shows the root; convert's paths start from the span of the paths the
  notebook's file operations take (the root of a `notebooks/` + `data/` layout, even inside a
  larger repository; the notebook's own folder when its paths stay there).

Which strings are paths: the arguments of file operations (`IO_CALL`, the callees NB111 knows),
the literal leading parts of `os.path.join(...)` and `Path(...)`, and strings bound to names
that such calls read. Found statically: a path computed at run time is not seen.
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nb2prod.notebook.ipysyntax import translate
from nb2prod.notebook.model import Notebook

# A folder holding one of these is a project root (black, nbQA and pytest use the same idea).
MARKERS = (".git", "pyproject.toml", "setup.cfg", "setup.py")
# Without a marker, the root is at most this many levels above the notebook's folder.
MAX_LEVELS_UP = 3
# Callee names (last dotted part) that read, write or navigate files (NB111 and convert).
IO_CALL = re.compile(
    r"(open|read_\w+|to_(csv|parquet|excel|pickle|json|hdf|feather|stata|orc|html|latex|xml)|"
    r"load|loads?txt|loadtxt|genfromtxt|save|savez|savez_compressed|savetxt|savefig|dump|imread|"
    r"imwrite|imsave|Path|PurePath|PosixPath|WindowsPath|chdir|listdir|scandir|walk|glob|iglob|"
    r"exists|isfile|isdir|makedirs|mkdir|remove|unlink|rmtree|copy|copyfile|copy2|move|rename|"
    r"ExcelWriter|ExcelFile|File|connect|ZipFile|TarFile|HDFStore|read_file|to_file|"
    r"from_pretrained|load_model|save_model|load_workbook|join|expanduser|abspath|DataLoader|"
    r"ImageFolder|read_text|write_text|read_bytes|write_bytes|fromfile|tofile|memmap)$"
)
# Names that hold a file or folder (NB111 reads `NAME = "/abs/path"` assignments through it).
PATHLIKE_NAME = re.compile(r"(path|dir|folder|file|root|home|location)", re.I)
# Keyword arguments of file operations that take the path (`to_csv(path_or_buf=...)`).
_PATH_KEYWORD = re.compile(r"(path|file|fname|dir|buf|^io$|^src$|^dst$)", re.I)
# Callees that build one path from their arguments; only a leading run of literals is a path.
_PATH_TYPES = frozenset(
    {"Path", "PurePath", "PosixPath", "PurePosixPath", "WindowsPath", "PureWindowsPath"}
)
_JOINS = _PATH_TYPES | {"join"}
# Calls whose first argument is always a path, even a bare name: numpy's writers add their
# own extension ("arr" writes arr.npy), and folder operations name folders ("sub/dir").
_PATH_FIRST = frozenset(
    {
        "save",
        "savez",
        "savez_compressed",
        "makedirs",
        "mkdir",
        "isdir",
        "listdir",
        "scandir",
        "rmtree",
    }
)
_FILE_NAME = re.compile(r"[\w.-]+(/[\w.-]+)*/?")
_EXTENSION = re.compile(r"[^/]*[^./\s]\.[A-Za-z][A-Za-z0-9]{0,5}$")
_NOT_RELATIVE = re.compile(r"^(~|/|\\|[A-Za-z]:|[A-Za-z][\w+.-]*://)")
# A string literal naming a path above the notebook's folder, in a cell that does not parse.
_UP_LITERAL = re.compile(r"""(['"])(\.\.(?:[/\\][^'"\n]*)?)\1""")


@dataclass(frozen=True, slots=True)
class Project:
    """The folders a notebook's relative paths need."""

    notebook_dir: Path  # the notebook's own folder, resolved
    root: Path  # the project root: what an overlay view shows
    span: Path  # the smallest folder holding the notebook's folder and the paths it names
    reason: str  # how the root was found, for notes
    outside: tuple[str, ...] = ()  # relative paths the notebook names outside its folder


def find_project(notebook_dir: Path, paths: Iterable[str]) -> Project:
    """The project of a notebook in `notebook_dir` (resolved) naming these relative paths."""
    outside: list[str] = []
    targets: list[Path] = []
    for text in paths:
        target = Path(os.path.normpath(notebook_dir / text))
        if not target.is_relative_to(notebook_dir):
            outside.append(text)
            targets.append(target)
    allowed = allowed_ancestors(notebook_dir)
    marked = [folder for folder in allowed if any((folder / m).exists() for m in MARKERS)]
    if marked:
        root = next((m for m in marked if all(t.is_relative_to(m) for t in targets)), marked[0])
        marker = next(m for m in MARKERS if (root / m).exists())
        reason = f"{root} holds {marker}"
    else:
        reachable = allowed[: MAX_LEVELS_UP + 1]
        common = Path(os.path.commonpath([notebook_dir, *targets]))
        root = common if common in reachable else reachable[-1]
        reason = (
            f"{root} holds the paths the notebook reads"
            if root != notebook_dir
            else "the notebook's folder (no project marker above it)"
        )
    inside = [t for t in targets if t.is_relative_to(root)]
    span = Path(os.path.commonpath([notebook_dir, *inside]))
    return Project(notebook_dir, root, span, reason, tuple(dict.fromkeys(outside)))


def allowed_ancestors(folder: Path) -> list[Path]:
    """The folder and its parents, up to (not including) the user's home folder and `/`."""
    try:
        home: Path | None = Path.home().resolve()
    except (OSError, RuntimeError):
        home = None
    found = [folder]
    if folder == home:
        return found
    for parent in folder.parents:
        if parent == home or parent.parent == parent:
            break
        found.append(parent)
    return found


def touched_paths(notebook: Notebook) -> tuple[str, ...]:
    """Relative paths above the notebook's folder that its code names ("../data/x.csv", "..").

    String literals, and paths joined from literals (`os.path.join("..", "data")`,
    `Path("..") / "data"`), magics included (`%run ../src/prep.py`). Found statically: a path
    computed at run time is not seen.
    """
    found: dict[str, None] = {}
    for cell in notebook.code_cells:
        try:
            tree = ast.parse(translate(cell.source))
        except Exception:  # any cell text: one that cannot be read as Python is searched by pattern
            for match in _UP_LITERAL.finditer(cell.source):
                found.setdefault(_slashes(match.group(2)), None)
            continue
        for text in _up_paths(tree):
            found.setdefault(text, None)
    return tuple(found)


def _up_paths(node: ast.AST) -> Iterator[str]:
    """Literal paths going up, outermost first: `Path("..") / "a"` gives "../a", not also ".."."""
    text = _literal_path(node)
    if text is not None and _goes_up(text):
        yield _slashes(text)
        return
    for child in ast.iter_child_nodes(node):
        yield from _up_paths(child)


def _literal_path(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) and len(node.value) < 4096 else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left, right = _literal_path(node.left), _literal_path(node.right)
        return posixpath.join(_slashes(left), right) if left and right else None
    if isinstance(node, ast.Call) and node.args and not node.keywords and _callee(node) in _JOINS:
        parts = [_literal_path(a) for a in node.args]
        if all(parts):
            return posixpath.join(*(_slashes(p or "") for p in parts))
    return None


def _slashes(text: str) -> str:
    return text.replace("\\", "/")


def _goes_up(text: str) -> bool:
    text = _slashes(text)
    return "\n" not in text and (text == ".." or text.startswith("../"))


# --- the paths file operations name -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PathSite:
    """A relative path one statement names for a file operation, and where its text is.

    `start`/`end` are character offsets in the statement's code of the expression that holds
    the path. `whole`: the expression is the whole path (a string, or the literal arguments
    of a join, whose text `path` is); otherwise `path` is only its leading text (an f-string
    `f"../data/{name}.csv"`, whose text sits at `lead` in the code, or the first string of a
    concatenation `"../data/" + name`). `callee`: a folded `Path("..") / "data"` chain is
    rebuilt as `callee(<path>)`.
    """

    path: str
    whole: bool
    start: int
    end: int
    lead: tuple[int, int] | None = None
    callee: str = ""


def path_names(trees: Iterable[ast.AST]) -> frozenset[str]:
    """Names whose value file operations take as the start of a path (`pd.read_csv(DATA)`)."""
    found: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for argument in _path_arguments(node):
                    head = _head(argument)
                    if head is not None:
                        found.add(head)
    return frozenset(found)


def path_sites(tree: ast.Module, code: str, names: frozenset[str], folder: Path) -> list[PathSite]:
    """The relative paths a statement names for file operations, outermost first, no overlaps.

    `names`: names read as paths (`path_names`); a string bound to one of them is a path too.
    `folder`: the notebook's folder, where a bare name ("data") must exist to count as a path.
    """
    offsets = _Offsets(code)
    sites: list[PathSite] = []

    def visit(node: ast.AST) -> None:
        site = _chain_site(node, offsets)
        if site is not None:
            sites.append(site)
            return
        taken: set[int] = set()
        if isinstance(node, ast.Call):
            joined = _join_site(node, offsets)
            if joined is not None:
                sites.append(joined)
                taken = {id(a) for a in node.args[: _literal_run(node)]}
            elif _callee(node) not in _JOINS:
                # numpy's writers add the extension: `np.save("arr", a)` writes arr.npy
                path_first = _callee(node) in _PATH_FIRST and node.args
                for argument in _path_arguments(node):
                    bare = bool(path_first) and argument is node.args[0]
                    found = _value_site(argument, offsets, folder, bare=bare)
                    if found is not None:
                        sites.append(found)
                        taken.add(id(argument))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(isinstance(t, ast.Name) and t.id in names for t in targets):
                found = _value_site(node.value, offsets, folder)
                if found is not None:
                    sites.append(found)
                    taken.add(id(node.value))
        for child in ast.iter_child_nodes(node):
            inner = child.value if isinstance(child, ast.keyword) else child
            if id(inner) not in taken:
                visit(child)

    visit(tree)
    return sites


def path_dir(site: PathSite) -> str:
    """The folder a site's path is in (a leading text names only that much)."""
    if site.whole:
        return site.path
    folder, _, _ = _slashes(site.path).rpartition("/")
    return folder or "."


def rebase(site: PathSite, notebook_dir: Path, base: Path) -> str | None:
    """The site's path relative to `base` instead of the notebook's folder; None when it cannot be."""
    text = _slashes(site.path)
    if site.whole:
        moved = _moved(text, notebook_dir, base)
        return moved + "/" if text.endswith("/") and moved != "." else moved
    folder, _, tail = text.rpartition("/")
    if tail in (".", ".."):
        return None
    moved = _moved(folder or ".", notebook_dir, base)
    return tail if moved == "." else f"{moved}/{tail}"


def _moved(text: str, notebook_dir: Path, base: Path) -> str:
    return Path(os.path.relpath(os.path.normpath(notebook_dir / text), base)).as_posix()


def looks_like_path(text: str, folder: Path | None = None) -> bool:
    """A relative path by its shape: `./` or `../`, a file extension, or a first part in `folder`."""
    if not is_relative(text):
        return False
    text = _slashes(text)
    if text in (".", "..") or text.startswith(("./", "../")):
        return True
    if _EXTENSION.search(text.rstrip("/")) and "%" not in text:
        return True
    first = text.split("/", 1)[0]
    return folder is not None and bool(first) and (folder / first).exists()


def is_relative(text: str) -> bool:
    """Whether a string can be a relative path: not absolute, not a URL, no line breaks."""
    return (
        0 < len(text) < 4096
        and "\n" not in text
        and "\x00" not in text
        and text.strip() == text
        and _NOT_RELATIVE.match(text) is None
    )


def _path_arguments(call: ast.Call) -> list[ast.expr]:
    """The arguments of a file operation that may be its path (all positional, path keywords)."""
    name = _callee(call)
    if name is None or IO_CALL.match(name) is None or name == "chdir":
        return []
    if name in _JOINS:
        return call.args[:1]
    keywords = [k.value for k in call.keywords if k.arg and _PATH_KEYWORD.search(k.arg)]
    return [a for a in call.args if not isinstance(a, ast.Starred)] + keywords


def _head(node: ast.expr) -> str | None:
    """The name a path expression starts from: `DATA / "x"`, `f"{DATA}/x"`, `join(DATA, "x")`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
        return _head(node.left)
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return _head(first.value) if isinstance(first, ast.FormattedValue) else None
    if isinstance(node, ast.Call) and _callee(node) in _JOINS and node.args:
        return _head(node.args[0])
    return None


def _callee(call: ast.Call) -> str | None:
    """The last part of a dotted callee (`pd.read_csv` -> read_csv); None for other callees."""
    node: ast.expr = call.func
    last = node.attr if isinstance(node, ast.Attribute) else None
    while isinstance(node, ast.Attribute):
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    if last == "join":  # str.join on a name is not a path join: only os.path/posixpath/ntpath
        dotted = ast.unparse(call.func)
        return "join" if dotted.endswith("path.join") or dotted == "osp.join" else None
    return last or node.id


def _literal_run(call: ast.Call) -> int:
    """How many leading arguments of a join are string literals."""
    count = 0
    for argument in call.args:
        if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
            break
        count += 1
    return count


def _join_site(call: ast.Call, offsets: _Offsets) -> PathSite | None:
    """`os.path.join("..", "data", name)`: its leading literal arguments, as one path."""
    if _callee(call) not in _JOINS or call.keywords:
        return None
    run = _literal_run(call)
    if run == 0:
        return None
    parts = [_slashes(str(a.value)) for a in call.args[:run] if isinstance(a, ast.Constant)]
    text = posixpath.join(*parts)
    if not is_relative(text):
        return None
    span = offsets.span(call.args[0], call.args[run - 1])
    return None if span is None else PathSite(text, True, *span)


def _chain_site(node: ast.AST, offsets: _Offsets) -> PathSite | None:
    """`Path("..") / "data" / "x.csv"`: a path type of literals divided by literals, folded."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return None
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Div):
        right = current.right
        if not (isinstance(right, ast.Constant) and isinstance(right.value, str)):
            return None
        parts.append(_slashes(right.value))
        current = current.left
    if not (
        isinstance(current, ast.Call)
        and _callee(current) in _PATH_TYPES
        and current.args
        and not current.keywords
        and _literal_run(current) == len(current.args)
    ):
        return None
    first = [_slashes(str(a.value)) for a in current.args if isinstance(a, ast.Constant)]
    text = posixpath.join(*first, *reversed(parts))
    span = offsets.span(node, node)
    callee = offsets.text(current.func)
    if not is_relative(text) or span is None or callee is None:
        return None
    return PathSite(text, True, *span, callee=callee)


def _value_site(
    node: ast.expr, offsets: _Offsets, folder: Path, *, bare: bool = False
) -> PathSite | None:
    """A path given as a string, an f-string with a literal start, or a string plus more."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        span = offsets.span(node, node)
        plain_name = bare and is_relative(node.value) and _FILE_NAME.fullmatch(node.value)
        if span is None or not (plain_name or looks_like_path(node.value, folder)):
            return None
        return PathSite(node.value, True, *span)
    if isinstance(node, ast.JoinedStr):
        return _fstring_site(node, offsets)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left: ast.expr = node
        while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add):
            left = left.left
        if (
            isinstance(left, ast.Constant)
            and isinstance(left.value, str)
            and "/" in _slashes(left.value)
            and looks_like_path(left.value)
        ):
            span = offsets.span(left, left)
            return None if span is None else PathSite(left.value, False, *span)
    return None


def _fstring_site(node: ast.JoinedStr, offsets: _Offsets) -> PathSite | None:
    """`f"../data/{name}.csv"`: its leading text, found verbatim right after the opening quote."""
    if not node.values or not isinstance(node.values[0], ast.Constant):
        return None
    lead = str(node.values[0].value)
    literal = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
    if not (is_relative(lead) and ("/" in _slashes(lead) or _EXTENSION.search(literal))):
        return None
    span = offsets.span(node, node)
    if span is None:
        return None
    source = offsets.code[span[0] : span[1]]
    match = re.match(r"[fFrR]{1,2}('''|\"\"\"|'|\")", source)
    if match is None or not source[match.end() :].startswith(lead):
        return None  # escapes, `{{`, or an implicit concatenation: not rewritten
    start = span[0] + match.end()
    return PathSite(lead, False, *span, lead=(start, start + len(lead)))


class _Offsets:
    """Character offsets in a code string from `ast`'s (line, UTF-8 byte column) positions."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.lines = code.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, column: int) -> int | None:
        if not 1 <= line <= len(self.lines):
            return None
        text = self.lines[line - 1].encode("utf-8")[:column].decode("utf-8", "replace")
        return self.starts[line - 1] + len(text)

    def span(self, first: ast.expr, last: ast.expr) -> tuple[int, int] | None:
        if last.end_lineno is None or last.end_col_offset is None:
            return None
        start = self.offset(first.lineno, first.col_offset)
        end = self.offset(last.end_lineno, last.end_col_offset)
        return None if start is None or end is None else (start, end)

    def text(self, node: ast.expr) -> str | None:
        span = self.span(node, node)
        return None if span is None else self.code[span[0] : span[1]]
