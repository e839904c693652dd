"""Where a notebook's own modules come from: the folders it adds to `sys.path`, and its project root.

Notebooks share helpers with `sys.path.append('../src')`, `sys.path.insert(0,
os.path.abspath(os.path.join('..')))` or `sys.path.append(str(Path.cwd().parent))`, often through
a variable (`module_path = os.path.abspath('..')`, then `if module_path not in sys.path: ...`).
The kernel evaluates those expressions in the notebook's folder; `SearchPath` evaluates the same
expressions statically (string literals, `os.path`, `pathlib`, names bound to such values),
and gives up, silently, on anything else. `pin` uses it so that such modules are not unknown
distributions (NB201); `convert` uses it to vendor them into the package.
"""

from __future__ import annotations

import ast
import os
import posixpath
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nb2prod.notebook.ipysyntax import translate
from nb2prod.notebook.model import Notebook
from nb2prod.notebook.project_root import MARKERS  # one notion of a project root

_MUTATIONS = {"sys.path.append": 0, "sys.path.insert": 1, "site.addsitedir": 0}
_JOINS = frozenset({"os.path.join", "posixpath.join", "pathlib.Path", "pathlib.PurePath"}) | {
    "pathlib.PosixPath",
    "pathlib.PurePosixPath",
}
_ABSOLUTE = frozenset({"os.path.abspath", "os.path.realpath", "posixpath.abspath"})
_CWD = frozenset({"os.getcwd", "pathlib.Path.cwd", "pathlib.Path.home"})
_FUNCTIONS = (
    _JOINS
    | _ABSOLUTE
    | _CWD
    | {"str", "os.fspath", "os.path.normpath", "posixpath.normpath", "os.path.expanduser"}
    | {"os.path.dirname", "posixpath.dirname"}
)
# Methods of a path value that keep it a path (`Path('..').resolve()`).
_METHODS = frozenset({"resolve", "absolute", "expanduser", "joinpath", "as_posix"})
_CONSTANTS = {"os.pardir": "..", "os.curdir": ".", "os.sep": "/", "os.path.sep": "/"}


def project_root(folder: str | Path) -> Path | None:
    """The nearest folder at or above `folder` holding a marker; never the home folder nor `/`."""
    start = Path(os.path.abspath(folder))
    home = Path.home()
    for candidate in (start, *start.parents):
        if candidate in (home, Path(candidate.anchor)):
            return None
        if any((candidate / marker).exists() for marker in MARKERS):
            return candidate
    return None


@dataclass
class SearchPath:
    """Evaluate a notebook's statements in page order, as far as paths go.

    Mutable while one notebook is read (its bindings change statement by statement);
    `statement()` returns the folders that statement adds to `sys.path`, absolute.
    """

    folder: str  # the notebook's folder: the kernel's working directory
    names: dict[str, str] = field(default_factory=dict)  # name -> path value it holds
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> qualified name

    def statement(self, node: ast.stmt) -> list[str]:
        """Folders `node` adds to sys.path (bindings of path values are remembered)."""
        added: list[str] = []
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self._bind_imports(node)
        elif isinstance(node, ast.Assign):
            value = self.value(node.value)
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self._bind(target.id, value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            self._bind(node.target.id, self.value(node.value) if node.value else None)
        elif isinstance(node, ast.AugAssign):
            if self._dotted(node.target) == "sys.path" and isinstance(node.op, ast.Add):
                added.extend(self._items(node.value))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            added.extend(self._mutation(node.value))
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            items = self._literal_items(node.iter)
            for item in items or ():
                self.names[node.target.id] = item
                for inner in node.body:
                    added.extend(self.statement(inner))
            self.names.pop(node.target.id, None)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            blocks = [node.body, getattr(node, "orelse", []), getattr(node, "finalbody", [])]
            for block in blocks:
                for inner in block:
                    added.extend(self.statement(inner))
        return [self.absolute(path) for path in added]

    def absolute(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.folder, os.path.expanduser(path)))

    def value(self, node: ast.expr | None) -> str | None:
        """The path an expression evaluates to (relative paths as written), or None."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            return _CONSTANTS.get(self.aliases.get(node.id, ""))
        if isinstance(node, ast.BinOp):
            left, right = self.value(node.left), self.value(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Div):
                return posixpath.join(left, right)
            if isinstance(node.op, ast.Add):
                return left + right
            return None
        if isinstance(node, ast.Attribute):
            dotted = self._dotted(node)
            if dotted in _CONSTANTS:
                return _CONSTANTS[dotted]
            if node.attr == "parent":
                inner = self.value(node.value)
                return None if inner is None else (posixpath.dirname(inner.rstrip("/")) or ".")
            return None
        if isinstance(node, ast.Subscript):  # Path(...).parents[1]
            base = node.value
            if (
                isinstance(base, ast.Attribute)
                and base.attr == "parents"
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, int)
            ):
                inner = self.value(base.value)
                if inner is None:
                    return None
                path = self.absolute(inner)
                for _ in range(node.slice.value + 1):
                    path = posixpath.dirname(path)
                return path
            return None
        if isinstance(node, ast.Call):
            return self._call(node)
        return None

    def _call(self, node: ast.Call) -> str | None:
        if node.keywords:
            return None
        func = node.func
        name = self._dotted(func)
        args = [self.value(a) for a in node.args]
        if any(a is None for a in args):
            return None
        values = [a for a in args if a is not None]
        if name in _FUNCTIONS:
            return self._function(name, values)
        if isinstance(func, ast.Attribute) and func.attr in _METHODS:  # on a path value
            inner = self.value(func.value)
            if inner is None:
                return None
            if func.attr == "joinpath":
                return posixpath.join(inner, *values)
            if values:
                return None
            if func.attr in ("resolve", "absolute"):
                return self.absolute(inner)
            return os.path.expanduser(inner) if func.attr == "expanduser" else inner
        return None

    def _function(self, name: str, values: list[str]) -> str | None:
        if name in _CWD:
            return None if values else (str(Path.home()) if name.endswith("home") else self.folder)
        if name in _JOINS:
            return posixpath.join(*values) if values else "."
        if len(values) != 1:
            return None
        value = values[0]
        if name in _ABSOLUTE:
            return self.absolute(value)
        if name.endswith("normpath"):
            return posixpath.normpath(value)
        if name.endswith("dirname"):
            return posixpath.dirname(value)
        if name.endswith("expanduser"):
            return os.path.expanduser(value)
        return value  # str(), os.fspath()

    def _mutation(self, call: ast.Call) -> list[str]:
        name = self._dotted(call.func)
        if name == "sys.path.extend" and len(call.args) == 1:
            return self._items(call.args[0])
        index = _MUTATIONS.get(name or "")
        if index is None or len(call.args) <= index:
            return []
        value = self.value(call.args[index])
        return [] if value is None else [value]

    def _items(self, node: ast.expr) -> list[str]:
        return [v for v in self._literal_items(node) or () if v is not None]

    def _literal_items(self, node: ast.expr) -> list[str] | None:
        if not isinstance(node, (ast.List, ast.Tuple)):
            return None
        values = [self.value(e) for e in node.elts]
        return [v for v in values if v is not None]

    def _bind(self, name: str, value: str | None) -> None:
        if value is None:
            self.names.pop(name, None)
        else:
            self.names[name] = value

    def _bind_imports(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.aliases[top] = top
        elif not node.level and node.module:
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def _dotted(self, node: ast.AST) -> str | None:
        """`osp.join` -> `os.path.join` through the notebook's imports; builtins as themselves."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self.aliases.get(node.id)
        if head is None:  # not imported (yet): conventional names stand for their modules
            head = {"Path": "pathlib.Path", "PurePath": "pathlib.PurePath"}.get(node.id, node.id)
        return ".".join([head, *reversed(parts)])


def is_path_setup(node: ast.stmt) -> bool:
    """Whether a statement only changes `sys.path` (directly, under an `if`, or in a loop)."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = SearchPath("")._dotted(node.value.func)
        return func in _MUTATIONS or func == "sys.path.extend"
    if isinstance(node, ast.AugAssign):
        return SearchPath("")._dotted(node.target) == "sys.path"
    if isinstance(node, (ast.If, ast.For)):
        return all(is_path_setup(n) for n in node.body) and all(
            is_path_setup(n) for n in node.orelse
        )
    return False


def search_folders(notebook: Notebook) -> tuple[str, ...]:
    """The folders the notebook adds to sys.path, absolute, in page order (no repeats)."""
    search = SearchPath(os.path.dirname(os.path.abspath(notebook.path)))
    found: list[str] = []
    for cell in notebook.code_cells:
        for node in _parsed(cell.source):
            found.extend(search.statement(node))
    return tuple(dict.fromkeys(found))


def _parsed(source: str) -> Iterable[ast.stmt]:
    try:
        with warnings.catch_warnings():  # "\d" in someone's cell is their business
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(translate(source)).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()


def project_folders(notebook_folder: str) -> tuple[str, ...]:
    """The project root (and its `src/`, the src layout) when the notebook sits inside one.

    The kernel does not put the root on sys.path by itself: modules there import only when the
    project is installed (`pip install -e .`) or a path entry points there. Their names are the
    notebook's own either way, never distributions to look up.
    """
    root = project_root(notebook_folder)
    if root is None:
        return ()
    folders = [str(root)]
    if (root / "src").is_dir():
        folders.append(str(root / "src"))
    return tuple(folders)
