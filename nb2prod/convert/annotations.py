"""Annotations for the generated functions and `Results`, from the types verification captured.

Verification records the type of every value that crosses a function boundary, in the
notebook's fresh run and in the package run, as a Python expression naming the class by its
public import path (`pandas.DataFrame`, `sklearn.ensemble.GradientBoostingClassifier`,
`builtins.tuple[numpy.ndarray, builtins.float]`: `programs/capture_hooks.py`). Here those
names become annotation text:

- builtins by their own names, numpy scalars as the Python number they behave as
  (`numpy.float64` -> `float`), containers as `tuple[...]`, `list[...]`, `dict[..., ...]`;
- a class of a public module the package imports (or of the standard library) by a name the
  module binds, or one imported under `if TYPE_CHECKING:` (so importing the package runs
  exactly what it ran before: the modules have `from __future__ import annotations`);
- `Any` for anything else: a private module (`sklearn._x`), a class the notebook defines
  (`__main__.X`), a library the package does not import, a type the two runs disagree on,
  or nothing captured.

Annotations replace only the `Any` the renderer wrote; everything else in a module is left
as it is.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import isort

from nb2prod.convert.plan import Plan

# numpy's scalar types, as the Python type they stand for (float64 even subclasses float)
NUMPY_SCALARS: Mapping[str, re.Pattern[str]] = {
    "bool": re.compile(r"numpy\.bool_?"),
    "int": re.compile(
        r"numpy\.(u?int(8|16|32|64)?|u?intp|u?intc|u?long|u?longlong|u?short|u?byte|int_)"
    ),
    "float": re.compile(r"numpy\.(float(16|32|64|96|128)?|half|single|double|longdouble)"),
    "complex": re.compile(r"numpy\.(complex(64|128|192|256)?|csingle|cdouble|clongdouble)"),
    "str": re.compile(r"numpy\.str_"),
    "bytes": re.compile(r"numpy\.bytes_"),
}
# builtins that take type parameters, and their annotation when the items were not named
_GENERIC = {
    "tuple": "tuple[Any, ...]",
    "list": "list[Any]",
    "set": "set[Any]",
    "frozenset": "frozenset[Any]",
    "dict": "dict[Any, Any]",
}
# conventional aliases: `pd.DataFrame` reads better than `DataFrame` for these libraries
MODULE_ALIASES: Mapping[str, str] = {"pandas": "pd", "numpy": "np"}


@dataclass(frozen=True, slots=True)
class FunctionTypes:
    """The captured types of one function's parameters and returned values, by name.

    Each is the capture's expression (`pandas.DataFrame`); a name the runs did not capture,
    or disagree on, is absent.
    """

    params: Mapping[str, str] = field(default_factory=dict)
    returns: Mapping[str, str] = field(default_factory=dict)


Ref = tuple[str, str]  # (module, class name): a class to name in the generated module


@dataclass(frozen=True, slots=True)
class Annotation:
    """A type as the generated code writes it; class references are named per module."""

    head: str  # "float", "tuple", "Any", or "module.Class" when `ref` is set
    ref: Ref | None = None
    args: tuple[Annotation, ...] = ()
    variadic: bool = False  # tuple[X, ...]

    @property
    def typed(self) -> bool:
        """Whether it says more than `Any`."""
        return self.head != "Any"

    def refs(self) -> Iterator[Ref]:
        if self.ref is not None:
            yield self.ref
        for arg in self.args:
            yield from arg.refs()

    def text(self, names: Mapping[Ref, str | None]) -> str:
        """The annotation, with each class as `names` calls it (None: unnamed, so `Any`)."""
        if self.ref is not None:
            return names.get(self.ref) or "Any"
        if not self.args:
            return self.head
        inner = ", ".join(a.text(names) for a in self.args) + (", ..." if self.variadic else "")
        return f"{self.head}[{inner}]"


ANY = Annotation("Any")


@dataclass(frozen=True, slots=True)
class Annotations:
    """Per generated function, parameter and returned value; per `Results` field."""

    params: Mapping[str, Mapping[str, Annotation]]
    returns: Mapping[str, Mapping[str, Annotation]]
    results: Mapping[str, Annotation]

    def counts(self) -> tuple[int, int]:
        """(typed, Any) over every parameter, returned value and `Results` field."""
        every = [
            *(a for m in self.params.values() for a in m.values()),
            *(a for m in self.returns.values() for a in m.values()),
            *self.results.values(),
        ]
        typed = sum(1 for a in every if a.typed)
        return typed, len(every) - typed


def annotation(captured: str | None, importable: frozenset[str]) -> Annotation:
    """The annotation for a captured type; `importable`: top-level modules the package may name."""
    if not captured:
        return ANY
    try:
        tree = ast.parse(captured, mode="eval").body
    except SyntaxError:  # a nested or local class (`f.<locals>.X`)
        return ANY
    return _annotation(tree, importable)


def _annotation(node: ast.expr, importable: frozenset[str]) -> Annotation:
    if isinstance(node, ast.Subscript):  # only builtin containers are named with their items
        origin = _dotted(node.value) or ""
        if not origin.startswith("builtins.") or origin[9:] not in _GENERIC:
            return ANY
        items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        variadic = bool(items) and isinstance(items[-1], ast.Constant) and items[-1].value is ...
        args = tuple(_annotation(i, importable) for i in items[: -1 if variadic else None])
        return Annotation(origin[9:], None, args, variadic) if args else ANY
    dotted = _dotted(node)
    if dotted is None:
        return ANY
    module, _, name = dotted.rpartition(".")
    if module == "builtins":
        if name == "NoneType":
            return Annotation("None")
        if name in _GENERIC:  # items of several types, or too many to name
            return Annotation(_GENERIC[name])
        return Annotation(name) if isinstance(getattr(builtins, name, None), type) else ANY
    for python, pattern in NUMPY_SCALARS.items():
        if pattern.fullmatch(dotted):
            return Annotation(python)
    parts = dotted.split(".")
    if len(parts) < 2 or any(p.startswith("_") for p in parts) or parts[0] not in importable:
        return ANY
    return Annotation(dotted, (module, name))


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def importable_modules(plan: Plan, loaded: Iterable[str] = ()) -> frozenset[str]:
    """Top-level modules a generated module may name: the standard library, what the package
    imports, and the modules `loaded` by the notebook's run (numpy, under scikit-learn)."""
    imported = {
        imp.module.split(".")[0]
        for st in plan.imports
        for imp in st.symbols.imports
        if imp.module and not imp.level
    }
    imported.update(m.split(".")[0] for m in loaded)
    return frozenset(imported | set(sys.stdlib_module_names)) - {"__future__", "__main__"}


def annotations_for(
    plan: Plan, types: Mapping[str, FunctionTypes], loaded: Iterable[str] = ()
) -> Annotations:
    """Each function's parameters and returns, and each `Results` field, from captured types.

    `loaded`: the modules the notebook's run imported. A `Results` field holds what the last
    function returning that name returned.
    """
    importable = importable_modules(plan, loaded)
    params: dict[str, dict[str, Annotation]] = {}
    returns: dict[str, dict[str, Annotation]] = {}
    results: dict[str, Annotation] = {}
    for function in plan.functions:
        captured = types.get(function.name, FunctionTypes())
        params[function.name] = {
            p: annotation(captured.params.get(p), importable) for p in function.params
        }
        returns[function.name] = {
            r: annotation(captured.returns.get(r), importable) for r in function.returns
        }
        results.update(returns[function.name])
    return Annotations(params, returns, results)


# --- applying them to a rendered module --------------------------------------------------------


def annotate_module(
    text: str, annotations: Annotations, package: str, *, results: bool = False
) -> str:
    """The rendered module with its generated functions' `Any` annotations typed where captured.

    `results`: also type the fields of its `Results` dataclass (`X | None = None`). Classes are
    named as the module already binds them at run time when it uses that name anyway;
    otherwise imported under `if TYPE_CHECKING:`.
    """
    tree = ast.parse(text)
    edits: list[tuple[ast.expr, Annotation, bool]] = []  # (the `Any` node, its type, optional)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and (
            node.name in annotations.params or node.name in annotations.returns
        ):
            edits += _signature_edits(node, annotations)
        elif results and isinstance(node, ast.ClassDef) and node.name == "Results":
            for item in node.body:
                if (
                    isinstance(item, ast.AnnAssign)
                    and isinstance(item.target, ast.Name)
                    and _is_any(item.annotation)
                    and annotations.results.get(item.target.id, ANY).typed
                ):
                    edits.append((item.annotation, annotations.results[item.target.id], True))
    if not edits:
        return text
    refs = list(dict.fromkeys(r for _, a, _ in edits for r in a.refs()))
    names, imports = _local_names(tree, refs, package)
    lines = text.splitlines(keepends=True)
    for at, typed, optional in sorted(
        edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True
    ):
        written = typed.text(names)
        if optional and written not in ("Any", "None"):
            written += " | None"
        line = lines[at.lineno - 1].encode("utf-8")
        start, end = at.col_offset, at.end_col_offset or at.col_offset
        lines[at.lineno - 1] = (line[:start] + written.encode("utf-8") + line[end:]).decode("utf-8")
    return _with_type_imports("".join(lines), imports, package)


def _is_any(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Name) and node.id == "Any"


def _signature_edits(
    node: ast.FunctionDef, annotations: Annotations
) -> list[tuple[ast.expr, Annotation, bool]]:
    edits: list[tuple[ast.expr, Annotation, bool]] = []
    params = annotations.params.get(node.name, {})
    for arg in node.args.args:
        typed = params.get(arg.arg, ANY)
        if arg.annotation is not None and _is_any(arg.annotation) and typed.typed:
            edits.append((arg.annotation, typed, False))
    returned = list(annotations.returns.get(node.name, {}).values())
    given = node.returns
    if len(returned) == 1 and _is_any(given) and given is not None and returned[0].typed:
        edits.append((given, returned[0], False))
    elif (
        len(returned) > 1
        and isinstance(given, ast.Subscript)
        and isinstance(given.slice, ast.Tuple)
        and len(given.slice.elts) == len(returned)
    ):
        for item, typed in zip(given.slice.elts, returned, strict=True):
            if _is_any(item) and typed.typed:
                edits.append((item, typed, False))
    return edits


def _local_names(
    tree: ast.Module, refs: list[Ref], package: str
) -> tuple[dict[Ref, str | None], list[str]]:
    """How the module names each class, and the imports (for `if TYPE_CHECKING:`) that needs.

    A name the module's own imports bind to the class (or its module) serves when the module
    uses it at run time anyway: keeping an otherwise unused import would change what importing
    the package runs. Otherwise `import pandas as pd` for the conventional aliases, else
    `from module import Class`, else `import module`, whichever binds a name still free;
    none free: `Any`.
    """
    bindings: dict[str, str] = {}  # local name -> what a top-level import binds it to
    bound: set[str] = set()  # every name bound at module level
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for imported in node.names:
                local = imported.asname or imported.name.split(".")[0]
                bound.add(local)
                if isinstance(node, ast.ImportFrom) and not node.level:
                    bindings[local] = f"{node.module}.{imported.name}"
                elif isinstance(node, ast.Import):
                    bindings[local] = imported.name if imported.asname else local
        else:
            bound.update(_bound_names(node))
    used = _runtime_names(tree)
    names: dict[Ref, str | None] = {}
    imports: list[str] = []
    for module, name in refs:
        full = f"{module}.{name}"
        found: str | None = next(
            (local for local, target in bindings.items() if target == full and local in used),
            None,
        )
        if found is None:
            found = next(
                (
                    f"{local}.{name}"
                    for local, target in bindings.items()
                    if target == module and local in used
                ),
                None,
            )
        if found is None:
            alias = MODULE_ALIASES.get(module)
            root = module.split(".")[0]
            if alias is not None and (
                alias not in bound or f"import {module} as {alias}" in imports
            ):
                found, line, binds = f"{alias}.{name}", f"import {module} as {alias}", alias
            elif name not in bound:
                found, line, binds = name, f"from {module} import {name}", name
            elif root not in bound or f"import {module}" in imports:
                found, line, binds = full, f"import {module}", root
            else:  # every name it could have is taken
                names[(module, name)] = None
                continue
            if line not in imports:
                imports.append(line)
            bound.add(binds)
        names[(module, name)] = found
    return names, imports


def _bound_names(node: ast.stmt) -> Iterator[str]:
    """Names a top-level statement binds (functions, classes, assignment targets)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
        return
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            yield sub.id
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield sub.name  # under a top-level `if`/`try`


def _runtime_names(tree: ast.Module) -> set[str]:
    """Names the module reads outside annotations: what importing and running it needs."""
    annotations: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            every = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            every += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
            parts = [a.annotation for a in every] + [node.returns]
        elif isinstance(node, ast.AnnAssign):
            parts = [node.annotation]
        else:
            continue
        annotations.update(id(sub) for part in parts if part for sub in ast.walk(part))
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and id(node) not in annotations
    }


def _with_type_imports(text: str, imports: list[str], package: str) -> str:
    """`text` with `imports` under `if TYPE_CHECKING:`, after the module's leading imports."""
    if not imports:
        return text
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    after = next(
        (
            i
            for i, node in enumerate(tree.body)
            if isinstance(node, ast.ImportFrom) and node.module == "__future__"
        ),
        None,
    )
    first = next(
        (
            node
            for node in tree.body[(after + 1 if after is not None else 0) :]
            if not isinstance(node, (ast.Import, ast.ImportFrom))
        ),
        None,
    )
    at = len(lines) if first is None else _first_line(first) - 1
    block = isort.code("\n".join(imports) + "\n", profile="black", known_first_party=[package])
    indented = "".join(f"    {line}" if line.strip() else line for line in block.splitlines(True))
    lines.insert(at, f"\nif TYPE_CHECKING:\n{indented}\n\n")
    if after is not None:  # sorted into the module's imports by the renderer's isort pass
        future = tree.body[after]
        lines.insert(future.end_lineno or future.lineno, "\nfrom typing import TYPE_CHECKING\n")
    else:
        lines.insert(0, "from typing import TYPE_CHECKING\n")
    return "".join(lines)


def _first_line(node: ast.stmt) -> int:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return min([node.lineno] + [d.lineno for d in node.decorator_list])
    return node.lineno


def same_but_annotations(one: str, other: str) -> bool:
    """Whether two module texts are the same code apart from annotations and their imports.

    Tells a module nb2prod wrote (with any annotations) from one a user has edited since.
    """
    try:
        return _without_annotations(one) == _without_annotations(other)
    except SyntaxError:
        return False


class _Unannotated(ast.NodeTransformer):
    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.returns = None
        self.generic_visit(node)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AnnAssign:
        node.annotation = ast.Name("Any", ast.Load())
        return node

    def visit_If(self, node: ast.If) -> ast.AST | None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return None
        self.generic_visit(node)
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | None:
        if node.module == "typing":
            node.names = [a for a in node.names if a.name not in ("TYPE_CHECKING", "Any")]
            if not node.names:
                return None
        return node


def _without_annotations(text: str) -> str:
    tree = _Unannotated().visit(ast.parse(text))
    return ast.dump(tree, annotate_fields=False)
