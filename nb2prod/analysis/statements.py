"""Split code cells into top-level statements, with comments kept and IPython syntax rewritten.

Rewrites are documented and reported: `%time stmt` becomes `stmt`, the bodies of `%%time`
and `%%capture` become plain statements, `!cmd` becomes `subprocess.run`, `%pip install`
becomes a requirement, display-only magics (`%matplotlib`, `%load_ext`, `obj?`) are dropped.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field, replace

from nb2prod.analysis.dataflow import analyze_tree
from nb2prod.analysis.imports import carry_modules
from nb2prod.analysis.magics import BoundNames
from nb2prod.analysis.records import CellSymbols
from nb2prod.notebook.ipysyntax import (
    HELP_MAGICS,
    SHELL_METHODS,
    TIMING_MAGICS,
    magic_call,
    may_have_ipython_syntax,
    strip_options,
    translate,
)
from nb2prod.notebook.model import Notebook

# Cell magics whose body is kept as plain statements, the magic removed.
_PAYLOAD_CELL_MAGICS = TIMING_MAGICS | {"capture"}
# Magics that only change how things are shown: dropped without a warning.
_DISPLAY_MAGICS = (
    HELP_MAGICS
    | TIMING_MAGICS  # `x = %timeit f()`, `x = %prun f()`: a timing result, not a notebook value
    | {
        "matplotlib",
        "load_ext",
        "reload_ext",
        "config",
        "autoreload",
        "aimport",
        "who",
        "whos",
        "lsmagic",
        "precision",
        "pprint",
        "xmode",
        "watermark",
        "history",
        "notebook",
        "pylab",
        "pip",
        "conda",
        "matplotlib_inline",
    }
)


@dataclass(frozen=True, slots=True)
class Statement:
    """One top-level statement of a code cell, as it will appear in generated code."""

    cell: int
    cell_id: str
    position: int  # 0-based within the cell
    line: int  # 1-based line in the cell where it starts
    code: str  # Python source, leading comments included
    symbols: CellSymbols
    tree: ast.Module = field(compare=False, repr=False)  # `code`, parsed once for every later stage
    rewrite: str | None = None  # what was done to IPython syntax, for the report
    requirement: str | None = None  # `%pip install x==1` -> "x==1"
    dropped_magic: bool = False
    end_line: int = 0  # 1-based line in the cell where it ends (0: unknown)
    lines_kept: bool = True  # the cell's IPython translation kept its line numbers

    @property
    def key(self) -> str:
        return f"{self.cell}.{self.position}"


def _first_line(node: ast.stmt) -> int:
    """The line a statement starts on, its decorators included."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return min([node.lineno] + [d.lineno for d in node.decorator_list])
    return node.lineno


# Past these, rendering fails on the input's shape, not on a bug: measured, 250 chained `elif`s
# overflow the stack in libcst's code generation, 250 nested ternaries make black write more than
# CPython's 200 nested parentheses, and 99 nested blocks plus the generated function's own level
# pass CPython's 100 indentation levels. Hand-written code stays far below (tests/hostile).
MAX_AST_DEPTH = 150
MAX_BLOCK_DEPTH = 90


def _too_deep(tree: ast.Module) -> str | None:
    """Why a parsed cell is too deep for the generated package, or None (walked without recursion)."""
    deepest = 0
    nodes: list[tuple[ast.AST, int]] = [(tree, 0)]
    while nodes:
        node, depth = nodes.pop()
        deepest = max(deepest, depth)
        nodes.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    blocks = 0
    statements: list[tuple[ast.AST, int]] = [(st, 0) for st in tree.body]
    while statements:
        node, level = statements.pop()
        blocks = max(blocks, level)
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, name, None)
            if (
                not isinstance(children, list)
                or not children
                or not isinstance(children[0], ast.AST)
            ):
                continue
            first = children[0]
            same_line = name == "handlers" or (
                name == "orelse"
                and isinstance(node, ast.If)
                and len(children) == 1
                and isinstance(first, ast.If)
                and first.col_offset == node.col_offset
            )  # elif
            statements.extend((child, level if same_line else level + 1) for child in children)
    if blocks > MAX_BLOCK_DEPTH:
        return f"nests blocks {blocks} deep (at most {MAX_BLOCK_DEPTH}: Python allows 100 indentation levels)"
    if deepest > MAX_AST_DEPTH:
        return f"nests code {deepest} levels deep (at most {MAX_AST_DEPTH} can be converted)"
    return None


def _compile_error(tree: ast.Module) -> str | None:
    """What the kernel would refuse when compiling the cell (`return` or `yield` outside a function,
    `nonlocal` at module level, 20 nested loops), though it parses: converted, such code would run.

    Each statement is compiled alone, as IPython runs them (a `from __future__` import after a
    magic is fine there)."""
    for node in tree.body:
        try:
            with warnings.catch_warnings():  # `x is 1` and the like: the notebook's business
                warnings.simplefilter("ignore", SyntaxWarning)
                compile(
                    ast.Module([node], []),
                    "<cell>",
                    "exec",
                    flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                    dont_inherit=True,
                )
        except SyntaxError as exc:
            return f"does not compile (line {exc.lineno or 1}): {exc.msg}"
        except (RecursionError, MemoryError):
            return "does not compile: nested too deeply for Python's compiler"
    return None


def split_cells(notebook: Notebook) -> tuple[tuple[Statement, ...], tuple[str, ...]]:
    """All statements of all code cells in page order, and the problems met (cells that do not parse)."""
    statements: list[Statement] = []
    problems: list[str] = []
    modules: dict[str, str] = {}  # what earlier statements imported: their calls change nothing
    bound = BoundNames()  # what shadows automagic (`pwd`, `history`) in later cells
    for cell in notebook.code_cells:
        code = translate(cell.source, bound.names)
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            problems.append(f"cell {cell.index} does not parse (line {exc.lineno or 1}): {exc.msg}")
            continue
        except (RecursionError, MemoryError):  # CPython's parser gives up on very deep expressions
            problems.append(
                f"cell {cell.index} does not parse: nested too deeply for Python's parser"
            )
            continue
        too_deep = _too_deep(tree) or _compile_error(tree)
        if too_deep:
            problems.append(f"cell {cell.index} {too_deep}")
            continue
        if bound.names is not None:  # the whole cell: `%pylab` and `exec` bind unknown names
            bound.add(analyze_tree(tree))
        lines = code.splitlines()
        same_lines = len(lines) == len(cell.source.splitlines())
        position = 0
        previous_end = 0
        for node in tree.body:
            start = _first_line(node)
            # comment lines above the statement (blank lines between them too) travel with it
            first = start
            while first - 1 > previous_end and (
                lines[first - 2].lstrip().startswith("#") or not lines[first - 2].strip()
            ):
                first -= 1
            while first < start and not lines[first - 1].strip():
                first += 1  # but not the blank lines before the first comment
            end = node.end_lineno or node.lineno
            if node is tree.body[-1]:
                # comments after the cell's last statement stay with it
                while end < len(lines) and (
                    lines[end].lstrip().startswith("#") or not lines[end].strip()
                ):
                    end += 1
                while end > (node.end_lineno or node.lineno) and not lines[end - 1].strip():
                    end -= 1
            text = "\n".join(lines[first - 1 : end])
            previous_end = end
            for piece in _rewrite(node, text):
                code_text, rewrite, requirement, dropped = piece
                try:
                    piece_tree = ast.parse(code_text)
                except SyntaxError as exc:  # the Python body of a cell magic such as %%time
                    problems.append(
                        f"cell {cell.index} does not parse (line {start + (exc.lineno or 1)}): {exc.msg}"
                    )
                    continue
                except (RecursionError, MemoryError):
                    problems.append(
                        f"cell {cell.index} does not parse: nested too deeply for Python's parser"
                    )
                    continue
                error = _compile_error(piece_tree)
                if error:
                    problems.append(f"cell {cell.index} {error}")
                    continue
                symbols = analyze_tree(piece_tree, modules) if code_text.strip() else CellSymbols()
                carry_modules(modules, symbols)
                statements.append(
                    Statement(
                        cell.index,
                        cell.id,
                        position,
                        start,
                        code_text,
                        symbols,
                        piece_tree,
                        rewrite,
                        requirement,
                        dropped,
                        node.end_lineno or start,
                        same_lines,
                    )
                )
                position += 1
    return _bind_displayed_values(statements), tuple(problems)


def _bind_displayed_values(statements: list[Statement]) -> tuple[Statement, ...]:
    """Where a cell reads `_` (IPython's last displayed value), bind it explicitly:
    the value shown by the nearest earlier cell ending in an expression becomes `_ = expr`."""
    if not any(r.name == "_" for st in statements for r in st.symbols.uses):
        return tuple(statements)
    result = list(statements)
    last_in_cell: dict[int, int] = {}
    for index, st in enumerate(result):
        last_in_cell[st.cell] = index
    for reader in [i for i, st in enumerate(result) if any(r.name == "_" for r in st.symbols.uses)]:
        cell = result[reader].cell
        candidates = [
            i for c, i in last_in_cell.items() if c < cell and _is_shown_expression(result[i])
        ]
        if not candidates:
            continue
        shown = result[max(candidates)]
        if any(r.name == "_" for r in shown.symbols.defines):
            continue
        node = shown.tree.body[-1]
        lines = shown.code.splitlines()
        line = lines[node.lineno - 1]
        lines[node.lineno - 1] = line[: node.col_offset] + "_ = " + line[node.col_offset :]
        code = "\n".join(lines)
        tree = ast.parse(code)
        result[max(candidates)] = replace(
            shown,
            code=code,
            symbols=analyze_tree(tree),
            tree=tree,
            rewrite="displayed value bound to `_` (a later cell reads it)",
        )
    return tuple(result)


def _is_shown_expression(st: Statement) -> bool:
    body = st.tree.body if st.code.strip() else []
    return bool(body) and isinstance(body[-1], ast.Expr) and not st.code.rstrip().endswith(";")


def _rewrite_body(body: str, note: str) -> list[tuple[str, str | None, str | None, bool]]:
    """A `%%time`/`%%capture` body holding IPython syntax: IPython transforms it before running
    it, so its magics and shell escapes are rewritten one statement at a time, like a cell's."""
    code = translate(body)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [(code.rstrip("\n"), note, None, False)]  # the caller reports why it does not parse
    lines = code.splitlines()
    pieces: list[tuple[str, str | None, str | None, bool]] = []
    for node in tree.body:
        text = "\n".join(lines[_first_line(node) - 1 : node.end_lineno or node.lineno])
        for piece, rewrite, requirement, dropped in _rewrite(node, text):
            pieces.append((piece, f"{note}; {rewrite}" if rewrite else note, requirement, dropped))
    return pieces


def _rewrite(node: ast.stmt, text: str) -> list[tuple[str, str | None, str | None, bool]]:
    """The statement's code, or what an IPython magic turns into."""
    magic = magic_call(node)
    if magic is None:
        return [(text, None, None, False)]
    method, texts = magic
    assigned = ast.unparse(node.targets[0]) if isinstance(node, ast.Assign) else None
    if method == "run_line_magic" and len(texts) >= 2:
        name, args = texts[0], texts[1]
        if name in TIMING_MAGICS and assigned is None:
            return [(strip_options(args), f"%{name} removed", None, False)]
        if name == "time" and assigned is not None:
            return [(f"{assigned} = {strip_options(args)}", "%time removed", None, False)]
        if name == "cd" and args.strip():
            return [(f"os.chdir({args.strip()!r})", "%cd became os.chdir (review it)", None, False)]
        if name == "env" and "=" in args:
            key, _, value = args.partition("=")
            return [
                (
                    f"os.environ[{key.strip()!r}] = {value.strip()!r}",
                    "%env became os.environ",
                    None,
                    False,
                )
            ]
        if name in ("pip", "conda") and args.split()[:1] == ["install"]:
            return [("", f"%{name} install became a requirement", " ".join(args.split()[1:]), True)]
        if name in _DISPLAY_MAGICS:
            return [("", f"%{name} dropped", None, True)]
        return [("", f"%{name} dropped: not converted, review what it did", None, True)]
    if method == "run_cell_magic" and len(texts) >= 3:
        name, header, body = texts
        if name in _PAYLOAD_CELL_MAGICS:
            note = f"%%{name} removed" + (
                " (its captured output is not kept)" if name == "capture" else ""
            )
            if may_have_ipython_syntax(body):
                return _rewrite_body(body, note)
            return [(body.rstrip("\n"), note, None, False)]
        if name in ("bash", "sh") or (
            name == "script" and header.split()[:1] in (["bash"], ["sh"])
        ):
            command = f"subprocess.run(['bash', '-c', {body!r}], check=True)"
            return [(command, f"%%{name} became subprocess.run (review it)", None, False)]
        return [("", f"%%{name} cell dropped: not converted, review what it did", None, True)]
    if method in SHELL_METHODS and texts:
        command = texts[0]
        if command.split()[:2] in (["pip", "install"], ["conda", "install"]):
            return [("", "!pip install became a requirement", " ".join(command.split()[2:]), True)]
        # like IPython, a failing command does not raise; its output is captured when assigned
        if assigned is not None:
            code = (
                f"{assigned} = subprocess.run({command!r}, shell=True, "
                "capture_output=True, text=True).stdout.splitlines()"
            )
        else:
            code = f"subprocess.run({command!r}, shell=True)"
        return [(code, "!cmd became subprocess.run (review it)", None, False)]
    return [("", f"{method} dropped", None, True)]
