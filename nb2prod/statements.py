"""Split code cells into top-level statements, with comments kept and IPython syntax rewritten.

Rewrites are documented and reported: `%time stmt` becomes `stmt`, the bodies of `%%time`
and `%%capture` become plain statements, `!cmd` becomes `subprocess.run`, `%pip install`
becomes a requirement, display-only magics (`%matplotlib`, `%load_ext`, `obj?`) are dropped.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nb2prod.dataflow import CellSymbols, analyze_cell
from nb2prod.ipysyntax import translate
from nb2prod.notebook import Notebook

_PAYLOAD_LINE_MAGICS = frozenset({"time", "timeit", "prun"})
_PAYLOAD_CELL_MAGICS = frozenset({"time", "timeit", "prun", "capture"})


@dataclass(frozen=True, slots=True)
class Statement:
    """One top-level statement of a code cell, as it will appear in generated code."""

    cell: int
    cell_id: str
    position: int  # 0-based within the cell
    line: int  # 1-based line in the cell where it starts
    code: str  # Python source, leading comments included
    symbols: CellSymbols
    rewrite: str | None = None  # what was done to IPython syntax, for the report
    requirement: str | None = None  # `%pip install x==1` -> "x==1"
    dropped_magic: bool = False

    @property
    def key(self) -> str:
        return f"{self.cell}.{self.position}"

    @property
    def tree(self) -> ast.Module:
        return ast.parse(self.code)


def _magic_call(node: ast.stmt) -> tuple[str, list[str], ast.Call] | None:
    value = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
        return None
    owner = value.func.value
    if not (isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "get_ipython"):
        return None
    texts = [a.value for a in value.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return value.func.attr, texts, value


def _strip_magic_options(args: str) -> str:
    from nb2prod.dataflow import _strip_options

    return _strip_options(args)


def split_cells(notebook: Notebook) -> tuple[tuple[Statement, ...], tuple[str, ...]]:
    """All statements of all code cells in page order, and the problems met (cells that do not parse)."""
    statements: list[Statement] = []
    problems: list[str] = []
    for cell in notebook.code_cells:
        code = translate(cell.source)
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            problems.append(f"cell {cell.index} does not parse (line {exc.lineno}): {exc.msg}")
            continue
        lines = code.splitlines()
        position = 0
        previous_end = 0
        for node in tree.body:
            start = node.lineno
            if getattr(node, "decorator_list", None):
                start = min([start] + [d.lineno for d in node.decorator_list])  # type: ignore[attr-defined]
            # comment lines directly above the statement travel with it
            first = start
            while first - 1 > previous_end and lines[first - 2].lstrip().startswith("#"):
                first -= 1
            end = node.end_lineno or node.lineno
            text = "\n".join(lines[first - 1:end])
            previous_end = end
            for piece in _rewrite(node, text):
                code_text, rewrite, requirement, dropped = piece
                try:
                    ast.parse(code_text)
                except SyntaxError as exc:  # the Python body of a cell magic such as %%time
                    problems.append(f"cell {cell.index} does not parse (line {start + (exc.lineno or 1)}): {exc.msg}")
                    continue
                symbols = analyze_cell(code_text) if code_text.strip() else CellSymbols()
                statements.append(Statement(cell.index, cell.id, position, start, code_text, symbols,
                                            rewrite, requirement, dropped))
                position += 1
    return tuple(statements), tuple(problems)


def _rewrite(node: ast.stmt, text: str) -> list[tuple[str, str | None, str | None, bool]]:
    """The statement's code, or what an IPython magic turns into."""
    magic = _magic_call(node)
    if magic is None:
        return [(text, None, None, False)]
    method, texts, _ = magic
    assigned = ast.unparse(node.targets[0]) if isinstance(node, ast.Assign) else None
    if method == "run_line_magic" and len(texts) >= 2:
        name, args = texts[0], texts[1]
        if name in _PAYLOAD_LINE_MAGICS and assigned is None:
            return [(_strip_magic_options(args), f"%{name} removed", None, False)]
        if name in ("pip", "conda") and args.split()[:1] == ["install"]:
            return [("", f"%{name} install became a requirement", " ".join(args.split()[1:]), True)]
        return [("", f"%{name} dropped", None, True)]
    if method == "run_cell_magic" and len(texts) >= 3:
        name, header, body = texts
        if name in _PAYLOAD_CELL_MAGICS:
            note = f"%%{name} removed" + (" (its captured output is not kept)" if name == "capture" else "")
            return [(body.rstrip("\n"), note, None, False)]
        if name in ("bash", "sh", "script"):
            command = f"subprocess.run(['bash', '-c', {body!r}], check=True)"
            return [(command, f"%%{name} became subprocess.run (review it)", None, False)]
        return [("", f"%%{name} cell dropped", None, True)]
    if method in ("system", "getoutput") and texts:
        command = texts[0]
        if command.split()[:2] in (["pip", "install"], ["conda", "install"]):
            return [("", "!pip install became a requirement", " ".join(command.split()[2:]), True)]
        if assigned is not None:
            code = (f"{assigned} = subprocess.run({command!r}, shell=True, check=True, "
                    "capture_output=True, text=True).stdout.splitlines()")
        else:
            code = f"subprocess.run({command!r}, shell=True, check=True)"
        return [(code, "!cmd became subprocess.run (review it)", None, False)]
    return [("", f"{method} dropped", None, True)]
