"""What a magic statement (already translated to `get_ipython()` calls) does to a cell's names.

The record of the magic, a name origin nb2prod cannot see (`%run`), the names it binds
(`%store -r x`, `%%capture out`, the functions of a `%%cython` cell), and the Python code it
runs (`%time f()`, a `%%timeit` body), parsed so that data flow analyses that code in the
magic's place.

Across cells (`bind_written_modules`): a module the notebook writes itself with `%%writefile`
is no hidden origin. `from helpers import *` and `%run helpers.py` bind the names its source
defines.
"""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace

from nb2prod.analysis.fallback import guess_definitions
from nb2prod.analysis.records import CellSymbols, Magic, ParseFailure, Ref
from nb2prod.analysis.scopes import local_bindings
from nb2prod.notebook.ipysyntax import (
    CODE_CELL_MAGICS,
    CODE_LINE_MAGICS,
    HELP_MAGICS,
    HIDDEN_ORIGIN_MAGICS,
    SHELL_METHODS,
    TIMING_MAGICS,
    magic_call,
    strip_options,
    translate,
)


@dataclass(frozen=True, slots=True)
class Payload:
    """Python code a magic runs, its line numbers those of the cell."""

    statements: tuple[ast.stmt, ...] = ()
    error: ParseFailure | None = None


@dataclass(frozen=True, slots=True)
class MagicEffect:
    magic: Magic
    hidden: Ref | None = None
    binds: tuple[str, ...] = ()  # module names it binds
    setup: Payload | None = None  # `%%timeit setup_line`: run before the body
    runs: Payload | None = None  # None: no code of its own, the statement is analysed as it is


def magic_effect(stmt: ast.stmt) -> MagicEffect | None:
    """What the magic `stmt` does, or None when `stmt` is no magic."""
    call = magic_call(stmt)
    if call is None:
        return None
    method, texts = call
    line = stmt.lineno
    if method in SHELL_METHODS and texts:
        # an assignment `x = !ls` is then analysed as a normal assignment
        return MagicEffect(Magic("shell", texts[0].split(" ", 1)[0], texts[0], line))
    if method == "run_line_magic" and len(texts) >= 2:
        return _line_magic(texts[0], texts[1], line, is_expression=isinstance(stmt, ast.Expr))
    if method == "run_cell_magic" and len(texts) >= 3:
        return _cell_magic(texts[0], texts[1], texts[2], line)
    return None


def _line_magic(name: str, args: str, line: int, *, is_expression: bool) -> MagicEffect:
    magic = Magic("line", name, args, line)
    if name in HIDDEN_ORIGIN_MAGICS:
        return MagicEffect(magic, hidden=Ref(f"%{name} {args}".strip(), line, 1))
    if name == "store" and args.split()[:1] == ["-r"]:
        names = tuple(args.split()[1:])
        if names:
            return MagicEffect(magic, binds=names)
        return MagicEffect(magic, hidden=Ref("%store -r", line, 1))
    if name in HELP_MAGICS:
        return MagicEffect(magic, runs=_parse_expression(args.strip(), line))
    if name in CODE_LINE_MAGICS and is_expression:
        return MagicEffect(magic, runs=_parse(strip_options(args), line))
    return MagicEffect(magic)


def _cell_magic(name: str, header: str, body: str, line: int) -> MagicEffect:
    magic = Magic("cell", name, header, line)
    binds: tuple[str, ...] = ()
    if name == "capture":
        binds = tuple([w for w in header.split() if not w.startswith("-")][:1])
    if name in CYTHON_MAGICS:
        binds = cython_names(body)
    if name not in CODE_CELL_MAGICS:
        return MagicEffect(magic, binds=binds)
    setup = None
    if name in TIMING_MAGICS and header.strip():
        setup = _parse(strip_options(header), line)
    return MagicEffect(magic, binds=binds, setup=setup, runs=_parse(body, line, cell_body=True))


def _parse(code: str, line: int, *, cell_body: bool = False) -> Payload:
    """Parse a magic's code; its first line is the cell's `line` (a cell magic's body: the next)."""
    if not code.strip():
        return Payload()
    if cell_body:
        code = translate(code)  # a %%time or %%capture body may hold magics of its own
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        at = line + (exc.lineno or 1) - (0 if cell_body else 1)
        return Payload(error=ParseFailure(exc.msg or "invalid syntax", at, exc.offset or 1))
    offset = line if cell_body else line - 1
    for node in tree.body:
        ast.increment_lineno(node, offset)
    return Payload(tuple(tree.body))


def _parse_expression(code: str, line: int) -> Payload:
    """Parse the expression help is asked about (`obj?`); help on anything else reads nothing."""
    if not code.strip():
        return Payload()
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        return Payload()
    stmt = ast.copy_location(ast.Expr(tree.body), tree.body)
    ast.increment_lineno(stmt, line - 1)
    return Payload((stmt,))


# Cython's cell magics: the extension module they build is star-imported into the notebook.
CYTHON_MAGICS = frozenset({"cython", "cython_pyximport"})
# What a Cython module shows Python, read at column 0: `def` and `cpdef` functions (a `cdef`
# function is C-only), classes and `cdef class` extension types, plain assignments and Python
# imports (`cimport` binds nothing at run time).
_CYTHON_BINDING = re.compile(
    r"^(?:cpdef\b[^(\n]*?\b([A-Za-z_]\w*)\s*\("
    r"|(?:async\s+)?def\s+([A-Za-z_]\w*)"
    r"|(?:cdef\s+(?:(?:public|api|final|readonly)\s+)*)?class\s+([A-Za-z_]\w*)"
    r"|([A-Za-z_]\w*)\s*=(?!=)"
    r"|import[ \t]+([\w.]+)(?:[ \t]+as[ \t]+(\w+))?"
    r"|from[ \t]+[\w.]+[ \t]+import[ \t]+\(?[ \t]*([\w \t,]+))",
    re.M,
)


def cython_names(body: str) -> tuple[str, ...]:
    """The public names a `%%cython` cell pushes into the notebook (its module's, without `_`)."""
    found: dict[str, None] = {}
    for match in _CYTHON_BINDING.finditer(body):
        cpdef, function, cls, assigned, module, alias, members = match.groups()
        names = [cpdef or function or cls or assigned or alias or ""]
        if module and not alias:
            names = [module.split(".")[0]]
        if members:
            names = [m.split()[-1] for m in members.split(",") if m.split()]
        found.update((n, None) for n in names if n and not n.startswith("_"))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class WrittenModule:
    """A Python file the notebook writes with `%%writefile`, as of a cell."""

    path: str  # normalised, as the notebook names it
    names: frozenset[str]  # every top-level name: what `%run` binds
    exported: frozenset[str]  # what `from module import *` binds: `__all__`, or the public names


def module_names(source: str) -> tuple[frozenset[str], frozenset[str]]:
    """Every top-level name of a Python module, and the names its star import binds."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        guessed = frozenset(r.name for r in guess_definitions(source))
        return guessed, frozenset(n for n in guessed if not n.startswith("_"))
    names = frozenset(local_bindings(tree.body)[0])
    exported = _dunder_all(tree)
    if exported is None:
        exported = frozenset(n for n in names if not n.startswith("_"))
    return names, exported


def _dunder_all(tree: ast.Module) -> frozenset[str] | None:
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, (ast.List, ast.Tuple))
        ):
            return frozenset(
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    return None


def _words(args: str) -> list[str]:
    try:
        return shlex.split(args, posix=True)
    except ValueError:  # an unclosed quote: IPython's own splitting is as lenient
        return args.split()


def _written_path(header: str) -> tuple[str, bool] | None:
    """The file `%%writefile [-a] PATH` writes, and whether it appends."""
    words = _words(header)
    append = any(w in ("-a", "--append") for w in words)
    paths = [w for w in words if not w.startswith("-")]
    return (posixpath.normpath(paths[0].replace("\\", "/")), append) if paths else None


def _cell_body(source: str) -> str:
    """A cell magic's body: what follows its first non-blank line."""
    lines = source.lstrip().split("\n", 1)
    return lines[1] if len(lines) > 1 else ""


def _module_file(module: str, written: dict[str, WrittenModule]) -> WrittenModule | None:
    """The written file `import module` finds: `a.b` is `a/b.py`, under any folder."""
    tail = module.replace(".", "/") + ".py"
    for path, found in written.items():
        if path == tail or path.endswith("/" + tail):
            return found
    return None


def _run_target(args: str, written: dict[str, WrittenModule]) -> WrittenModule | None:
    """The written file `%run [options] FILE [argv]` or `%run -m MODULE` runs."""
    words = _words(args)
    if "-m" in words:
        index = words.index("-m")
        return _module_file(words[index + 1], written) if index + 1 < len(words) else None
    files = [w for w in words if not w.startswith("-")]
    if not files:
        return None
    path = posixpath.normpath(files[0].replace("\\", "/"))
    return written.get(path) or written.get(path + ".py")  # %run adds .py as IPython does


def _with_bindings(sym: CellSymbols, line: int, names: frozenset[str], origin: str) -> CellSymbols:
    """`sym` with `names` bound at `line` by what was the hidden origin `origin`."""
    have = sym.defined_names
    defines = sym.defines + tuple(Ref(n, line, 1) for n in sorted(names - have))
    return replace(
        sym,
        defines=defines,
        uses=tuple(r for r in sym.uses if not (r.name in names and r.line >= line)),
        deferred_uses=tuple(r for r in sym.deferred_uses if r.name not in names),
        hidden_origins=tuple(r for r in sym.hidden_origins if r.name != origin),
    )


def _bind_one(sym: CellSymbols, written: dict[str, WrittenModule]) -> CellSymbols:
    for imported in sym.imports:
        if imported.name == "*" and imported.level == 0:
            module = _module_file(imported.module, written)
            if module is not None:
                origin = f"from {imported.module} import *"
                sym = _with_bindings(sym, imported.line, module.exported, origin)
    for magic in sym.magics:
        if magic.kind == "line" and magic.name == "run":
            module = _run_target(magic.args, written)
            if module is not None:
                origin = f"%run {magic.args}".strip()
                sym = _with_bindings(sym, magic.line, module.names, origin)
    return sym


def _writes_file(magic: Magic) -> bool:
    return magic.kind == "cell" and magic.name in ("writefile", "file")


def bind_written_modules(
    sources: Sequence[str], symbols: Sequence[CellSymbols | None]
) -> tuple[CellSymbols | None, ...]:
    """Each cell's symbols, where it star-imports or `%run`s a Python file an earlier cell wrote
    with `%%writefile`, with that file's names bound there instead of a hidden origin."""
    if not any(sym is not None and any(map(_writes_file, sym.magics)) for sym in symbols):
        return tuple(symbols)
    texts: dict[str, str] = {}
    written: dict[str, WrittenModule] = {}
    result = list(symbols)
    for index, sym in enumerate(symbols):
        if sym is None:
            continue
        if written and sym.hidden_origins:
            result[index] = _bind_one(sym, written)
        for magic in filter(_writes_file, sym.magics):
            target = _written_path(magic.args)
            if target is None or not target[0].endswith(".py"):
                continue
            path, append = target
            body = _cell_body(sources[index])
            texts[path] = texts.get(path, "") + body if append else body
            names, exported = module_names(texts[path])
            written[path] = WrittenModule(path, names, exported)
    return tuple(result)


class BoundNames:
    """The names a top-to-bottom run has bound so far: what shadows automagic (`pwd`, `history`
    are magics only while no variable of that name exists). `names` is None once a hidden origin
    (`from pylab import *`, `%pylab`, `exec`) may have bound any name."""

    def __init__(self) -> None:
        self.names: set[str] | None = set()

    def add(self, sym: CellSymbols) -> None:
        if self.names is None:
            return
        if sym.hidden_origins:
            self.names = None
        else:
            self.names.update(r.name for r in sym.defines)
