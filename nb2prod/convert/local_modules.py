"""The notebook's own modules: vendored into the package, or declared as path dependencies.

Notebooks share helpers through `sys.path` (`sys.path.append('../src')`, then `from
common.utils import load_data`), through a module beside the notebook (the kernel runs in the
notebook's folder), or from the project root. Inside a package those path entries mean nothing,
so each local module the notebook imports becomes one of:

- **vendored**: copied into `src/<package>/_vendor/` (the whole top-level module or package,
  `.py` files only), its imports of other local modules rewritten to relative ones; the
  notebook's imports become `from ._vendor.common.utils import load_data`. `_vendor/` keeps
  the copies apart from the generated modules (a helper package named `data` or `config`
  would otherwise collide with them) and says that the code is a copy;
- **dependency**: a local package with its own `pyproject.toml`, `setup.py` or `setup.cfg`
  is meant to be installed, so it is required as `name @ file:///path` and its imports stay;
- **not vendored**: compiled extensions, sources Python cannot parse, or trees past the size
  limits stay as imports, and the report says why.

The `sys.path` statements themselves are dropped (`path_setup`).
"""

from __future__ import annotations

import ast
import configparser
import os
import sys
import tomllib
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import libcst as cst

from nb2prod.analysis.statements import Statement
from nb2prod.pin.search_path import SearchPath, is_path_setup, project_folders

VENDOR = "_vendor"
# A helper tree past these is a library, not a notebook's helpers: it is left as an import.
MAX_FILES = 300
MAX_BYTES = 4_000_000
_COMPILED = (".so", ".pyd", ".pyx", ".pxd")
_SKIPPED_DIRS = frozenset({"__pycache__", "build", "dist", "node_modules"})
VENDORED, DEPENDENCY, NOT_VENDORED = "vendored", "dependency", "not vendored"


@dataclass(frozen=True, slots=True)
class LocalModule:
    """One top-level module of the notebook's own, and what the package does with it."""

    name: str  # the top-level import name (`common` for `from common.utils import x`)
    origin: str  # the file or folder the kernel imports it from, relative to the notebook's folder
    found: str  # how the kernel finds it: beside the notebook, a sys.path entry, the project root
    action: str  # VENDORED, DEPENDENCY or NOT_VENDORED
    detail: str  # what the report says about the action
    files: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # under _vendor/: text
    requirement: str | None = None  # DEPENDENCY: `name @ file:///...`
    # DEPENDENCY: the folder its imports are found in (absolute), until it is installed
    source_root: str | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "origin": self.origin,
            "found": self.found,
            "action": self.action,
            "detail": self.detail,
            "files": [f"{VENDOR}/{path}" for path, _ in self.files],
            "requirement": self.requirement,
        }


@dataclass(frozen=True, slots=True)
class LocalCode:
    """The notebook's local modules, as the plan carries them to rendering."""

    modules: tuple[LocalModule, ...] = ()
    preload: tuple[str, ...] = ()  # `import common.utils` binds `common`: load its submodule

    @property
    def requirements(self) -> tuple[str, ...]:
        return tuple(m.requirement for m in self.modules if m.requirement)

    @property
    def dependency_names(self) -> frozenset[str]:
        return frozenset(m.name for m in self.modules if m.action == DEPENDENCY)

    @property
    def source_roots(self) -> tuple[str, ...]:
        """Where the path dependencies' modules are (a run of the package imports them there)."""
        roots = (m.source_root for m in self.modules if m.action == DEPENDENCY)
        return tuple(dict.fromkeys(r for r in roots if r))

    def files(self, package: str) -> dict[str, str]:
        """The vendored files, by their path in the generated package."""
        vendored = [m for m in self.modules if m.action == VENDORED]
        if not vendored:
            return {}
        root = f"src/{package}/{VENDOR}"
        lines = [
            f'"""The notebook\'s own modules, copied by nb2prod: '
            f"{', '.join(m.name for m in vendored)}.",
            "",
            "Edit them here, or replace them with an installed package and import that.",
            '"""',
        ]
        if self.preload:  # `import common.utils` bound `common` and loaded `common.utils`
            lines += [
                "",
                "from importlib import import_module",
                "",
                f"for _name in {tuple(self.preload)!r}:",
                "    import_module(f'.{_name}', __name__)",
            ]
        files = {f"{root}/__init__.py": "\n".join(lines) + "\n"}
        for module in vendored:
            for path, text in module.files:
                files[f"{root}/{path}"] = text
        return files

    def report_markdown(self) -> str:
        """The report's section on local modules ("" when the notebook has none)."""
        if not self.modules:
            return ""
        rows = "".join(
            f"| `{m.name}` | {m.found} | {m.action} | {_cell_text(m.detail)} |\n"
            for m in self.modules
        )
        return (
            "\n## Local modules\n\n"
            "| module | found | what the package does | details |\n|---|---|---|---|\n" + rows
        )


@dataclass(frozen=True, slots=True)
class LocalPlan:
    """What `plan_local_code` found: the code to carry, the statements to rewrite or drop."""

    code: LocalCode
    rewrites: Mapping[str, tuple[str, str]]  # statement key -> (new code, what was done)
    path_setup: frozenset[str]  # keys of statements that only change sys.path
    path_values: frozenset[str]  # keys of `x = <path>` assignments read only by path setup


@dataclass(frozen=True, slots=True)
class _Found:
    name: str
    path: Path  # the module file or package folder
    search_dir: Path  # the sys.path folder it is found in
    found: str


def plan_local_code(notebook_path: str, statements: Sequence[Statement]) -> LocalPlan:
    """Find the notebook's local modules and decide, for each, how the package carries it."""
    folder = Path(os.path.abspath(notebook_path)).parent
    search = SearchPath(str(folder))
    entries: list[tuple[Path, str]] = [(folder, "beside the notebook")]
    setup: set[str] = set()
    candidates: dict[str, tuple[str, str]] = {}  # key -> (name assigned, value)
    for st in statements:
        body = st.tree.body
        if body and all(is_path_setup(node) for node in body):
            setup.add(st.key)
        for node in body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and len(body) == 1
            ):
                value = search.value(node.value)
                if value is not None:
                    candidates[st.key] = (node.targets[0].id, value)
            for added in search.statement(node):
                shown = os.path.relpath(added, folder)
                entries.append((Path(added), f"sys.path entry {shown} (cell {st.cell})"))
    entries += [(Path(p), "the project root") for p in project_folders(str(folder))]
    searched: dict[Path, str] = {}  # the first way in wins, as on sys.path
    for path, how in entries:
        searched.setdefault(path, how)
    finder = _Finder(list(searched.items()))

    wanted: dict[str, None] = {}
    for st in statements:
        for inner in ast.walk(st.tree):
            for top in _absolute_tops(inner):
                wanted.setdefault(top, None)
    modules: dict[str, LocalModule] = {}
    vendored: set[str] = set()
    queue = [name for name in wanted if finder.find(name) is not None]
    sources: dict[str, list[tuple[str, Path]]] = {}
    while queue:
        name = queue.pop(0)
        if name in modules:
            continue
        found = finder.find(name)
        if found is None:
            continue
        module = _decide(found, folder)
        modules[name] = module
        if module.action != VENDORED:
            continue
        vendored.add(name)
        files = _source_files(found)
        sources[name] = files
        for _, path in files:
            for top in _file_tops(path):
                if top not in modules and finder.find(top) is not None:
                    queue.append(top)

    # a file LibCST cannot parse leaves its module an import; the others' imports of it then
    # stay absolute too, so the rewriting starts again without it
    while True:
        preload: dict[str, None] = {}
        texts = {name: _vendor_files(sources[name], vendored, preload) for name in sorted(vendored)}
        refused = {name: why for name, why in texts.items() if isinstance(why, str)}
        for name, why in refused.items():
            vendored.discard(name)
            old = modules[name]
            modules[name] = LocalModule(old.name, old.origin, old.found, NOT_VENDORED, why)
        if not refused:
            break
    for name, copied in texts.items():
        old = modules[name]
        assert not isinstance(copied, str)
        modules[name] = replace(old, files=copied)
    rewrites: dict[str, tuple[str, str]] = {}
    for st in statements:
        if not any(top in vendored for node in ast.walk(st.tree) for top in _absolute_tops(node)):
            continue
        try:
            code = _rewrite_imports(st.code, vendored, 1, VENDOR, preload)
        except cst.ParserSyntaxError:  # parsed by ast, refused by libcst: keep the statement
            continue
        names = sorted({t for n in ast.walk(st.tree) for t in _absolute_tops(n)} & vendored)
        rewrites[st.key] = (code, f"import of local {', '.join(names)} now from {VENDOR}/")

    read_by: dict[bool, set[str]] = {True: set(), False: set()}  # by path setup, by the rest
    for st in statements:
        refs = (*st.symbols.uses, *st.symbols.deferred_uses)
        read_by[st.key in setup].update(ref.name for ref in refs)
        read_by[st.key in setup].update(m.name for m in st.symbols.mutations)
    values = frozenset(
        key
        for key, (name, _) in candidates.items()
        if name in read_by[True] and name not in read_by[False] and key not in setup
    )
    ordered = tuple(modules[name] for name in sorted(modules))
    return LocalPlan(LocalCode(ordered, tuple(sorted(preload))), rewrites, frozenset(setup), values)


class _Finder:
    """Which file `import name` loads, searching the folders the kernel searches, in order."""

    def __init__(self, folders: Sequence[tuple[Path, str]]) -> None:
        self.folders = folders
        self.project = {p for p, how in folders if how == "the project root"}
        self._cache: dict[str, _Found | None] = {}

    def find(self, name: str) -> _Found | None:
        if name not in self._cache:
            self._cache[name] = self._find(name)
        return self._cache[name]

    def _find(self, name: str) -> _Found | None:
        if name in sys.stdlib_module_names or name == "__future__" or not name.isidentifier():
            return None
        for folder, how in self.folders:
            if folder in self.project and _installed(name):
                continue  # the root is not on the kernel's sys.path: the installed module wins
            module = folder / f"{name}.py"
            if module.is_file():
                return _Found(name, module, folder, how)
            package = folder / name
            if (package / "__init__.py").is_file():
                return _Found(name, package, folder, how)
            if (
                folder not in self.project
                and package.is_dir()
                and _holds_python(package)
                and not _installed(name)
            ):
                return _Found(name, package, folder, how)  # a namespace package
        return None


def _installed(name: str) -> bool:
    """Whether a regular module of this name is importable here (it would win over a namespace
    folder, as Python prefers a regular package anywhere on sys.path to a namespace portion)."""
    try:
        spec = find_spec(name)
    except (ImportError, ValueError):
        return False
    return spec is not None and spec.origin is not None


def _holds_python(folder: Path) -> bool:
    try:
        return any(p.suffix == ".py" for p in folder.iterdir()) or any(
            p.is_dir() and any(q.suffix == ".py" for q in p.iterdir())
            for p in folder.iterdir()
            if p.name not in _SKIPPED_DIRS
        )
    except OSError:
        return False


def _decide(found: _Found, folder: Path) -> LocalModule:
    origin = Path(os.path.relpath(found.path, folder)).as_posix()
    project = _installable_project(found.search_dir)
    if project is not None:
        where, distribution = project
        requirement = f"{distribution} @ {where.as_uri()}"
        return LocalModule(
            found.name,
            origin,
            found.found,
            DEPENDENCY,
            f"an installable package ({where}): required as `{requirement}`; install it "
            "where the package runs",
            requirement=requirement,
            source_root=str(found.search_dir),
        )
    files = _source_files(found)
    problem = _too_big(found, files)
    if problem:
        return LocalModule(found.name, origin, found.found, NOT_VENDORED, problem)
    shown = ", ".join(path for path, _ in files[:4]) + (" ..." if len(files) > 4 else "")
    return LocalModule(
        found.name,
        origin,
        found.found,
        VENDORED,
        f"copied to {VENDOR}/ ({len(files)} file{'s' if len(files) > 1 else ''}: {shown})",
    )


def _too_big(found: _Found, files: Sequence[tuple[str, Path]]) -> str | None:
    if found.path.is_dir():
        for path in found.path.rglob("*"):
            if path.suffix in _COMPILED and not _skipped(path, found.path):
                return f"holds compiled code ({path.name}): install it where the package runs"
    if len(files) > MAX_FILES:
        return f"{len(files)} Python files (more than {MAX_FILES}): install it as a package"
    size = sum(p.stat().st_size for _, p in files)
    if size > MAX_BYTES:
        return f"{size:,} bytes of Python (more than {MAX_BYTES:,}): install it as a package"
    return None


def _skipped(path: Path, root: Path) -> bool:
    return any(
        part in _SKIPPED_DIRS or part.startswith(".") for part in path.relative_to(root).parts
    )


def _source_files(found: _Found) -> list[tuple[str, Path]]:
    """(path under _vendor/, file) for every Python file of the module or package, sorted."""
    if found.path.is_file():
        return [(found.path.name, found.path)]
    files = [
        (path.relative_to(found.search_dir).as_posix(), path)
        for path in sorted(found.path.rglob("*.py"))
        if not _skipped(path, found.path) and path.is_file()
    ]
    # folders without __init__.py (namespace packages) get one: the package's setuptools
    # configuration finds regular packages only
    present = {rel for rel, _ in files}
    for rel, _ in list(files):
        parent = Path(rel).parent
        while parent != Path("."):
            init = (parent / "__init__.py").as_posix()
            if init not in present:
                present.add(init)
                files.append((init, Path(os.devnull)))
            parent = parent.parent
    return sorted(files)


def _installable_project(search_dir: Path) -> tuple[Path, str] | None:
    """The project that ships modules found in `search_dir` (it, or its parent for a src layout),
    with its distribution name, when it can be installed."""
    for candidate in (search_dir, search_dir.parent) if search_dir.name == "src" else (search_dir,):
        name = _distribution_name(candidate)
        if name is not None:
            return candidate, name
    return None


def _distribution_name(folder: Path) -> str | None:
    """The name a project folder installs as, or None when it declares no installable project."""
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}
        for table in (data.get("project"), data.get("tool", {}).get("poetry")):
            if isinstance(table, dict) and isinstance(table.get("name"), str):
                return str(table["name"])
    setup_cfg = folder / "setup.cfg"
    if setup_cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(setup_cfg, encoding="utf-8")
            name = parser.get("metadata", "name", fallback=None)
        except (configparser.Error, UnicodeDecodeError):
            name = None
        if name:
            return name
    setup_py = folder / "setup.py"
    if setup_py.is_file():
        return _setup_py_name(setup_py) or folder.name
    return None


def _setup_py_name(path: Path) -> str | None:
    """`setup(name="x", ...)`'s literal name, read without running setup.py."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                value = keyword.value
                if (
                    keyword.arg == "name"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    return value.value
    return None


def _absolute_tops(node: ast.AST) -> Iterable[str]:
    """Top-level names an import statement loads by absolute import."""
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[0] for alias in node.names]
    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
        return [node.module.split(".")[0]]
    return []


def _file_tops(path: Path) -> list[str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [top for node in ast.walk(tree) for top in _absolute_tops(node)]


def _vendor_files(
    files: Sequence[tuple[str, Path]], vendored: set[str], preload: dict[str, None]
) -> tuple[tuple[str, str], ...] | str:
    """The files' texts with their imports of vendored modules made relative; or why not."""
    out: list[tuple[str, str]] = []
    for rel, path in files:
        if path == Path(os.devnull):
            out.append((rel, '"""Made a regular package by nb2prod (a namespace folder)."""\n'))
            continue
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return f"{rel} cannot be read as UTF-8 text ({exc}): left as an import"
        depth = rel.count("/")  # _vendor/helpers.py: 0; _vendor/common/utils.py: 1
        try:
            out.append((rel, _rewrite_imports(text, vendored, depth + 1, "", preload)))
        except cst.ParserSyntaxError as exc:
            line = exc.raw_line
            return f"{rel} does not parse (line {line}): left as an import"
    return tuple(out)


def _rewrite_imports(
    code: str, vendored: set[str], dots: int, prefix: str, preload: dict[str, None]
) -> str:
    """`code` with absolute imports of vendored modules made relative (`dots` levels up, then
    `prefix`): `from common.utils import f` -> `from ._vendor.common.utils import f`."""
    module = cst.parse_module(code)
    rewriter = _ImportRewriter(vendored, dots, prefix)
    result = module.visit(rewriter).code
    preload.update(dict.fromkeys(rewriter.submodules))
    return result


class _ImportRewriter(cst.CSTTransformer):
    def __init__(self, vendored: set[str], dots: int, prefix: str) -> None:
        super().__init__()
        self.vendored = vendored
        self.dots = "." * dots
        self.prefix = prefix
        self.submodules: list[str] = []  # `import a.b` (no alias) binds a; a.b must be loaded

    def _relative(self, dotted: str) -> str:
        inner = ".".join(p for p in (self.prefix, dotted) if p)
        return self.dots + inner

    def leave_Import(
        self, original_node: cst.Import, updated_node: cst.Import
    ) -> cst.BaseSmallStatement | cst.FlattenSentinel[cst.BaseSmallStatement]:
        kept: list[cst.ImportAlias] = []
        added: list[str] = []
        for alias in updated_node.names:
            dotted = _dotted_text(alias.name)
            top, _, rest = dotted.partition(".")
            if top not in self.vendored:
                kept.append(alias)
                continue
            asname = alias.asname
            if asname is not None and isinstance(asname.name, cst.Name):
                parent, _, member = dotted.rpartition(".")
                added.append(
                    f"from {self._relative(parent)} import {member} as {asname.name.value}"
                )
            else:
                added.append(f"from {self._relative('')} import {top}")
                if rest:
                    self.submodules.append(dotted)
        if not added:
            return updated_node
        statements: list[cst.BaseSmallStatement] = []
        if kept:
            final = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            statements.append(updated_node.with_changes(names=[*kept[:-1], final]))
        for text in added:
            line = cst.parse_statement(text)
            assert isinstance(line, cst.SimpleStatementLine)
            statements.append(line.body[0])
        if len(statements) == 1:
            return statements[0]
        return cst.FlattenSentinel(statements)

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        if updated_node.relative or updated_node.module is None:
            return updated_node
        dotted = _dotted_text(updated_node.module)
        if dotted.split(".")[0] not in self.vendored:
            return updated_node
        target = self._relative(dotted)
        inner = target.lstrip(".")
        return updated_node.with_changes(
            relative=[cst.Dot() for _ in range(len(target) - len(inner))],
            module=cst.parse_expression(inner) if inner else None,
        )


def _cell_text(text: str) -> str:
    return text.replace("|", "\\|")


def _dotted_text(node: cst.BaseExpression) -> str:
    return cst.Module(body=[]).code_for_node(node)
