"""What a magic statement (already translated to `get_ipython()` calls) does to a cell's names.

The record of the magic, a name origin nb2prod cannot see (`%run`), the names it binds
(`%store -r x`, `%%capture out`), and the Python code it runs (`%time f()`, a `%%timeit`
body), parsed so that data flow analyses that code in the magic's place.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nb2prod.analysis.records import Magic, ParseFailure, Ref
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
