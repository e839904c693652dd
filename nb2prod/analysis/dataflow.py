"""What each cell defines, uses and mutates, from the standard library's `ast`.

Why `ast` and not LibCST's ScopeProvider: on 3,000 code cells of
../shared/corpora/wild, IPython translation + `ast.parse` + this visitor took 0.16 ms
per cell, while `libcst.parse_module` + `MetadataWrapper(...).resolve(ScopeProvider)`
took 8.5 ms per cell, 52x slower (`bench/parse_speed.py`); the check's throughput goal
(within 2x of ruff) leaves no room for that. LibCST stays for
code generation, where keeping comments matters and speed does not.

Scopes follow Python's rules: functions and lambdas see module names only when
called (their reads are *deferred*), class bodies and comprehensions run at once,
a comprehension's first iterable is evaluated outside it, `global`/`nonlocal`
redirect bindings, and a walrus inside a comprehension binds outside it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from nb2prod.notebook.ipysyntax import translate

# Methods that change their receiver in place (list, dict, set, deque, DataFrame).
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "popitem",
        "clear",
        "update",
        "add",
        "discard",
        "sort",
        "reverse",
        "setdefault",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        "appendleft",
        "extendleft",
        "popleft",
        "rotate",
        "fill",
        "resize",
        "itemset",
        "put",
        "setflags",
    }
)
# Line magics whose argument is Python code run in the user namespace.
_CODE_LINE_MAGICS = frozenset({"time", "timeit", "prun", "debug"})
_CODE_CELL_MAGICS = frozenset({"time", "timeit", "prun", "capture", "debug"})
# Magics that bring in names nb2prod cannot see.
_HIDDEN_ORIGIN_MAGICS = frozenset({"run", "load", "loadpy", "pylab"})


@dataclass(frozen=True, slots=True)
class Ref:
    name: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Mutation:
    """An in-place change of a module-level name (`how`: item, attr, method:append, inplace, del-item)."""

    name: str
    line: int
    column: int
    how: str
    reads_target: (
        bool  # the new value is computed from the same item/attribute (df['a'] = df['a'] * 2)
    )
    external: bool = True  # the name was not bound earlier in this cell


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # "numpy" for `import numpy as np`, "sklearn.model_selection" for a from-import
    name: str | None  # the imported member of a from-import, else None
    bound_as: str | None  # the local name; None for a star import
    line: int
    level: int = 0  # relative-import dots


@dataclass(frozen=True, slots=True)
class Call:
    """A call whose callee is a dotted name (`np.random.rand`, `df.to_csv`, `open`)."""

    name: str
    line: int
    column: int
    keywords: tuple[str, ...]  # keyword arguments not given a literal None
    false_keywords: tuple[str, ...]  # keyword arguments given a literal False (shuffle=False)
    n_args: int
    has_star_kwargs: bool
    string_args: tuple[str, ...]  # literal string arguments, positional and keyword
    deferred: bool  # inside a function or lambda body


@dataclass(frozen=True, slots=True)
class StringAssign:
    """`NAME = "literal"` at module level (paths, thresholds as text)."""

    name: str
    value: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Magic:
    """A magic or shell escape: kind is "line", "cell" or "shell"."""

    kind: str
    name: str
    args: str
    line: int


@dataclass(frozen=True, slots=True)
class ParseFailure:
    message: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class CellSymbols:
    """The names one code cell binds, reads from outside itself, and changes."""

    defines: tuple[Ref, ...] = ()
    uses: tuple[Ref, ...] = ()  # read before being bound in the cell, when the cell runs
    deferred_uses: tuple[
        Ref, ...
    ] = ()  # module names read by function bodies, never bound in the cell
    deletes: tuple[Ref, ...] = ()
    mutations: tuple[Mutation, ...] = ()
    self_rebinds: tuple[Ref, ...] = ()  # x = f(x) / x += 1 on a name the cell did not bind first
    imports: tuple[Import, ...] = ()
    calls: tuple[Call, ...] = ()
    magics: tuple[Magic, ...] = ()
    hidden_origins: tuple[Ref, ...] = ()  # star import, exec/eval, %run, %store -r
    string_assignments: tuple[StringAssign, ...] = ()
    parse_error: ParseFailure | None = None

    @property
    def defined_names(self) -> frozenset[str]:
        return frozenset(r.name for r in self.defines)

    @property
    def used_names(self) -> frozenset[str]:
        return frozenset(r.name for r in self.uses)


def analyze_cell(source: str) -> CellSymbols:
    """Translate IPython syntax, parse once, and collect the cell's symbols."""
    code = translate(source)
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        failure = ParseFailure(exc.msg or "invalid syntax", exc.lineno or 1, (exc.offset or 1))
        return CellSymbols(defines=_guess_definitions(code), parse_error=failure)
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        failure = ParseFailure(str(exc) or type(exc).__name__, 1, 1)
        return CellSymbols(defines=_guess_definitions(code), parse_error=failure)
    return analyze_tree(tree)


def analyze_tree(tree: ast.Module) -> CellSymbols:
    """Collect the symbols of code already parsed (IPython syntax already translated)."""
    visitor = _CellVisitor()
    try:
        visitor.run(tree)
    except RecursionError:
        return CellSymbols(parse_error=ParseFailure("code is nested too deeply to analyse", 1, 1))
    if visitor.payload_error is not None:
        return CellSymbols(parse_error=visitor.payload_error)
    return visitor.result()


# ---------------------------------------------------------------- scopes


@dataclass(slots=True)
class _Scope:
    kind: str  # module, function, class, comprehension
    parent: _Scope | None
    names: set[str] = field(
        default_factory=set
    )  # bound so far (module, class) or local (function, comp)
    globals_: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    @property
    def immediate(self) -> bool:
        """Whether code in this scope runs when the cell runs."""
        scope: _Scope | None = self
        while scope is not None:
            if scope.kind == "function":
                return False
            scope = scope.parent
        return True


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _root_name(node: ast.AST) -> ast.Name | None:
    """The variable at the root of `df.loc[x, 'a'].b`, if any."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node if isinstance(node, ast.Name) else None


_LEAVES = (
    ast.expr_context,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
    ast.boolop,
    ast.Constant,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.alias,
)


def _local_bindings(body: Iterable[ast.AST]) -> tuple[set[str], set[str], set[str]]:
    """Names a function body binds (Python's compile-time rule), plus its global/nonlocal declarations."""
    bound: set[str] = set()
    globals_: set[str] = set()
    nonlocals: set[str] = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            stack.extend(node.decorator_list)
            if not isinstance(node, ast.ClassDef):
                stack.extend(d for d in node.args.defaults + node.args.kw_defaults if d is not None)
            continue
        if isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults)
            continue
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            stack.append(node.generators[0].iter)
            # a walrus inside a comprehension binds in the enclosing function
            for inner in ast.walk(node):
                if isinstance(inner, ast.NamedExpr) and isinstance(inner.target, ast.Name):
                    bound.add(inner.target.id)
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif (isinstance(node, ast.ExceptHandler) and node.name) or (
            isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name
        ):
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
        elif isinstance(node, ast.Global):
            globals_.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            nonlocals.update(node.names)
        for field_name in node._fields:
            value = getattr(node, field_name, None)
            if type(value) is list:
                stack.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                stack.append(value)
    return bound - globals_ - nonlocals, globals_, nonlocals


def _params(args: ast.arguments) -> set[str]:
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    return names


# ---------------------------------------------------------------- the visitor


class _CellVisitor(ast.NodeVisitor):
    # ast.NodeVisitor looks up `visit_<Class>` by name on every node; a per-class cache and a
    # field loop without generators make the visitor about twice as fast on real notebooks.
    _dispatch: ClassVar[dict[type, str]] = {}

    def visit(self, node: ast.AST) -> None:
        kind = type(node)
        name = self._dispatch.get(kind)
        if name is None:
            if issubclass(kind, _LEAVES):
                name = ""
            else:
                name = "visit_" + kind.__name__
                if not hasattr(self, name):
                    name = "generic_visit"
            self._dispatch[kind] = name
        if name:
            getattr(self, name)(node)

    def generic_visit(self, node: ast.AST) -> None:
        for field_name in node._fields:
            value = getattr(node, field_name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def __init__(self) -> None:
        self.module = _Scope("module", None)
        self.scope = self.module
        self.defines: dict[str, Ref] = {}
        self.uses: dict[str, Ref] = {}
        self.deferred: dict[str, Ref] = {}
        self.deletes: list[Ref] = []
        self.mutations: list[Mutation] = []
        self.self_rebinds: list[Ref] = []
        self.imports: list[Import] = []
        self.calls: list[Call] = []
        self.magics: list[Magic] = []
        self.hidden: list[Ref] = []
        self.strings: list[StringAssign] = []
        self.read_log: list[str] = []  # every name read, in order; sliced to see what a value read
        self.payload_error: ParseFailure | None = None
        self.line_offset = 0  # for code parsed out of a cell magic's body

    # -- driving

    def run(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            self._statement(stmt)

    def _statement(self, stmt: ast.stmt) -> None:
        payload = self._magic_payload(stmt)
        if payload is None:
            self.visit(stmt)
            return
        for inner in payload:
            self._statement(inner)

    def result(self) -> CellSymbols:
        deferred = tuple(
            r
            for name, r in self.deferred.items()
            if name not in self.module.names and name not in self.defines and name not in self.uses
        )
        return CellSymbols(
            defines=tuple(self.defines.values()),
            uses=tuple(self.uses.values()),
            deferred_uses=deferred,
            deletes=tuple(self.deletes),
            mutations=tuple(self.mutations),
            self_rebinds=tuple(self.self_rebinds),
            imports=tuple(self.imports),
            calls=tuple(self.calls),
            magics=tuple(self.magics),
            hidden_origins=tuple(self.hidden),
            string_assignments=tuple(self.strings),
        )

    def _line(self, node: ast.AST) -> int:
        return getattr(node, "lineno", 1) + self.line_offset

    def _ref(self, name: str, node: ast.AST) -> Ref:
        return Ref(name, self._line(node), getattr(node, "col_offset", 0) + 1)

    # -- magics: get_ipython().run_line_magic(...) and friends

    def _magic_payload(self, stmt: ast.stmt) -> list[ast.stmt] | None:
        """Record a magic statement; return the Python code it runs, if any, to analyse in its place."""
        call = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            return None
        owner = call.func.value
        if not (
            isinstance(owner, ast.Call)
            and isinstance(owner.func, ast.Name)
            and owner.func.id == "get_ipython"
        ):
            return None
        method = call.func.attr
        texts = [
            a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        line = self._line(stmt)
        if method in ("system", "getoutput") and texts:
            self.magics.append(Magic("shell", texts[0].split(" ", 1)[0], texts[0], line))
            return None  # an assignment `x = !ls` is then visited as a normal assignment
        if method == "run_line_magic" and len(texts) >= 2:
            name, args = texts[0], texts[1]
            self.magics.append(Magic("line", name, args, line))
            if name in _HIDDEN_ORIGIN_MAGICS:
                self.hidden.append(Ref(f"%{name} {args}".strip(), line, 1))
            elif name == "store" and args.split()[:1] == ["-r"]:
                names = args.split()[1:]
                if names:
                    for n in names:
                        self.defines.setdefault(n, Ref(n, line, 1))
                        self.module.names.add(n)
                else:
                    self.hidden.append(Ref("%store -r", line, 1))
            elif name in ("pinfo", "pinfo2", "psource", "pdef", "pdoc"):
                return self._parse_payload(args.strip(), line, expression=True)
            elif name in _CODE_LINE_MAGICS and isinstance(stmt, ast.Expr):
                return self._parse_payload(strip_options(args), line)
            return None
        if method == "run_cell_magic" and len(texts) >= 3:
            name, header, body = texts[0], texts[1], texts[2]
            self.magics.append(Magic("cell", name, header, line))
            if name == "capture" and header.split():
                target = [w for w in header.split() if not w.startswith("-")]
                if target:
                    self.defines.setdefault(target[0], Ref(target[0], line, 1))
                    self.module.names.add(target[0])
            if name in _CODE_CELL_MAGICS:
                if name in ("time", "timeit", "prun") and header.strip():
                    # `%%timeit setup` runs the setup line first
                    setup = self._parse_payload(strip_options(header), line)
                    for inner in setup or ():
                        self._statement(inner)
                return self._parse_payload(body, line + 1 - 1, body_of_cell_magic=True)
            return None
        return None

    def _parse_payload(
        self, code: str, line: int, *, expression: bool = False, body_of_cell_magic: bool = False
    ) -> list[ast.stmt]:
        if not code.strip():
            return []
        if body_of_cell_magic:
            code = translate(code)  # a %%time or %%capture body may hold magics of its own
        try:
            tree = ast.parse(code, mode="eval" if expression else "exec")
        except SyntaxError as exc:
            if expression:
                return []
            self.payload_error = ParseFailure(
                exc.msg or "invalid syntax",
                line + (exc.lineno or 1) - (0 if body_of_cell_magic else 1),
                exc.offset or 1,
            )
            return []
        offset = line if body_of_cell_magic else line - 1
        if expression:
            stmt: ast.stmt = ast.Expr(tree.body)
            ast.copy_location(stmt, tree.body)
            body = [stmt]
        else:
            body = tree.body
        for node in body:
            ast.increment_lineno(node, offset)
        return body

    # -- name resolution

    def _read(self, name: str, node: ast.AST) -> None:
        if name == "get_ipython":
            return  # provided by IPython, and what every translated magic calls
        start = scope = self.scope
        crossed_function = False
        while scope is not None:
            if scope.kind == "module":
                if name in scope.names:
                    return
                ref = self._ref(name, node)
                if crossed_function:
                    self.deferred.setdefault(name, ref)
                else:
                    self.uses.setdefault(name, ref)
                return
            if name in scope.globals_:
                crossed_function = crossed_function or scope.kind == "function"
                scope = self.module
                continue
            if scope.kind == "function":
                if name in scope.names:
                    return
                crossed_function = True
            elif scope.kind == "comprehension":
                if name in scope.names:
                    return
            elif scope is start and name in scope.names:
                # a class body sees its own names; its methods and comprehensions do not
                return
            scope = scope.parent

    def _bind(self, name: str, node: ast.AST) -> None:
        scope = self.scope
        if scope.kind == "comprehension":
            scope.names.add(name)
            return
        if name in scope.globals_ or scope.kind == "module":
            self.module.names.add(name)
            self.defines.setdefault(name, self._ref(name, node))
            return
        scope.names.add(name)

    def _bind_walrus(self, name: str, node: ast.AST) -> None:
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        saved, self.scope = self.scope, scope
        self._bind(name, node)
        self.scope = saved

    def _at_module(self, name: str) -> bool:
        """Whether `name` read here resolves to the module scope, at once."""
        scope: _Scope | None = self.scope
        while scope is not None and scope.kind != "module":
            if scope.kind == "function":
                return False
            if scope.kind in ("comprehension", "class") and name in scope.names:
                return False
            scope = scope.parent
        return True

    # -- expressions

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.read_log.append(node.id)
            self._read(node.id, node)
        elif isinstance(node.ctx, ast.Store):
            self._bind(node.id, node)
        else:  # del x
            self._read(node.id, node)
            if self.scope is self.module:
                self.module.names.discard(node.id)
                self.deletes.append(self._ref(node.id, node))

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind_walrus(node.target.id, node.target)

    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        if name is not None:
            self._record_call(name, node)
            if name in ("exec", "eval", "execfile") and self.scope.immediate:
                self.hidden.append(self._ref(name, node))
            method = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if method is not None and self.scope.immediate:
                root = _root_name(node.func.value)
                if root is not None and self._at_module(root.id):
                    if method in MUTATING_METHODS:
                        self.mutations.append(
                            Mutation(
                                root.id,
                                self._line(node),
                                node.col_offset + 1,
                                f"method:{method}",
                                False,
                                root.id not in self.module.names,
                            )
                        )
                    elif any(
                        k.arg == "inplace"
                        and isinstance(k.value, ast.Constant)
                        and k.value.value is True
                        for k in node.keywords
                    ):
                        self.mutations.append(
                            Mutation(
                                root.id,
                                self._line(node),
                                node.col_offset + 1,
                                "inplace",
                                False,
                                root.id not in self.module.names,
                            )
                        )
        self.generic_visit(node)

    def _record_call(self, name: str, node: ast.Call) -> None:
        strings = [
            a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        strings += [
            k.value.value
            for k in node.keywords
            if isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
        ]
        keywords = tuple(
            k.arg
            for k in node.keywords
            if k.arg is not None
            and not (isinstance(k.value, ast.Constant) and k.value.value is None)
        )
        self.calls.append(
            Call(
                name=name,
                line=self._line(node),
                column=node.col_offset + 1,
                keywords=keywords,
                false_keywords=tuple(
                    k.arg
                    for k in node.keywords
                    if k.arg is not None
                    and isinstance(k.value, ast.Constant)
                    and k.value.value is False
                ),
                n_args=len(node.args),
                has_star_kwargs=any(k.arg is None for k in node.keywords),
                string_args=tuple(strings),
                deferred=not self.scope.immediate,
            )
        )

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        inner = _Scope("function", self.scope, names=_params(node.args))
        inner.names |= _local_bindings([node.body])[0]
        saved, self.scope = self.scope, inner
        self.visit(node.body)
        self.scope = saved

    def _comprehension(
        self,
        node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp,
        elements: list[ast.expr],
    ) -> None:
        generators = node.generators
        self.visit(generators[0].iter)  # evaluated in the enclosing scope
        inner = _Scope("comprehension", self.scope)
        saved, self.scope = self.scope, inner
        for index, gen in enumerate(generators):
            if index:
                self.visit(gen.iter)
            self.visit(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        for element in elements:
            self.visit(element)
        self.scope = saved

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_ListComp  # type: ignore[assignment]

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node, [node.elt])

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value])

    # -- statements

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        args = node.args
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.visit(default)
        for arg in (
            args.posonlyargs
            + args.args
            + args.kwonlyargs
            + [a for a in (args.vararg, args.kwarg) if a]
        ):
            if arg.annotation is not None:
                self.visit(arg.annotation)
        if node.returns is not None:
            self.visit(node.returns)
        self._bind(node.name, node)
        local, globals_, nonlocals = _local_bindings(node.body)
        inner = _Scope(
            "function",
            self.scope,
            names=local | _params(args),
            globals_=globals_,
            nonlocals=nonlocals,
        )
        saved, self.scope = self.scope, inner
        for name in globals_:
            # a function that assigns a global defines it (when called)
            if any(
                isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                for n in ast.walk(node)
            ):
                self.defines.setdefault(name, self._ref(name, node))
        for stmt in node.body:
            self._statement(stmt)
        self.scope = saved

    visit_FunctionDef = _function  # type: ignore[assignment]
    visit_AsyncFunctionDef = _function  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(expr)
        inner = _Scope("class", self.scope)
        saved, self.scope = self.scope, inner
        for stmt in node.body:
            self._statement(stmt)
        self.scope = saved
        self._bind(node.name, node)

    def visit_Global(self, node: ast.Global) -> None:
        if self.scope.kind != "module":
            self.scope.globals_.update(node.names)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            self.imports.append(Import(alias.name, None, bound, self._line(node)))
            self._bind(bound, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            if alias.name == "*":
                self.imports.append(Import(module, "*", None, self._line(node), node.level))
                self.hidden.append(self._ref(f"from {'.' * node.level}{module} import *", node))
                continue
            bound = alias.asname or alias.name
            self.imports.append(Import(module, alias.name, bound, self._line(node), node.level))
            self._bind(bound, node)

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        if (
            self.scope is self.module
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            self.strings.append(
                StringAssign(node.targets[0].id, value.value, self._line(node), node.col_offset + 1)
            )
        start = len(self.read_log)
        self.visit(node.value)
        self._check_self_rebind(node.targets, self.read_log[start:])
        for target in node.targets:
            self._store_target(target, node.value, augmented=False)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            start = len(self.read_log)
            self.visit(node.value)
            self._check_self_rebind([node.target], self.read_log[start:])
        if self.scope.kind in ("module", "class"):
            self.visit(node.annotation)
        if node.value is not None or not isinstance(node.target, ast.Name):
            self._store_target(node.target, node.value, augmented=False)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Name):
            if self.scope is self.module and target.id not in self.module.names:
                self.self_rebinds.append(self._ref(target.id, target))
            self._read(target.id, target)
            self.visit(node.value)
            self._bind(target.id, target)
            return
        self.visit(node.value)
        self._store_target(target, node.value, augmented=True)

    def _check_self_rebind(self, targets: list[ast.expr], value_reads: list[str]) -> None:
        if self.scope is not self.module or not value_reads:
            return
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        for t in targets:
            if isinstance(t, (ast.Tuple, ast.List)):
                names |= {e.id for e in t.elts if isinstance(e, ast.Name)}
        names -= self.module.names
        if not names:
            return
        reads = set(value_reads)
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name) and n.id in names & reads:
                    self.self_rebinds.append(self._ref(n.id, n))

    def _store_target(self, target: ast.expr, value: ast.AST | None, *, augmented: bool) -> None:
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            # the object and any index are read; the root variable is changed in place
            self.visit(target.value)
            if isinstance(target, ast.Subscript):
                self.visit(target.slice)
            root = _root_name(target)
            if root is not None and self.scope.immediate and self._at_module(root.id):
                reads_target = augmented or (value is not None and _mentions(value, target))
                how = "item" if isinstance(target, ast.Subscript) else "attr"
                self.mutations.append(
                    Mutation(
                        root.id,
                        self._line(target),
                        target.col_offset + 1,
                        how,
                        reads_target,
                        root.id not in self.module.names,
                    )
                )
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._store_target(element, None, augmented=False)
            return
        if isinstance(target, ast.Starred):
            self._store_target(target.value, None, augmented=False)
            return
        self.visit(target)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, (ast.Subscript, ast.Attribute)):
                self.visit(target.value)
                if isinstance(target, ast.Subscript):
                    self.visit(target.slice)
                root = _root_name(target)
                if root is not None and self.scope.immediate and self._at_module(root.id):
                    self.mutations.append(
                        Mutation(
                            root.id,
                            self._line(target),
                            target.col_offset + 1,
                            "del-item",
                            True,
                            root.id not in self.module.names,
                        )
                    )
            else:
                self.visit(target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._store_target(node.target, None, augmented=False)
        for stmt in node.body + node.orelse:
            self._statement(stmt)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._store_target(item.optional_vars, None, augmented=False)
        for stmt in node.body:
            self._statement(stmt)

    visit_AsyncWith = visit_With  # type: ignore[assignment]

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name, node)
        for stmt in node.body:
            self._statement(stmt)

    def _block(self, node: ast.AST) -> None:
        for _name, value in ast.iter_fields(node):
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.stmt):
                        self._statement(item)
                    elif isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    visit_If = _block  # type: ignore[assignment]
    visit_While = _block  # type: ignore[assignment]
    visit_Try = _block  # type: ignore[assignment]
    visit_TryStar = _block  # type: ignore[assignment]

    def visit_Match(self, node: ast.Match) -> None:
        self.visit(node.subject)
        for case in node.cases:
            self.visit(case.pattern)
            if case.guard is not None:
                self.visit(case.guard)
            for stmt in case.body:
                self._statement(stmt)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._bind(node.name, node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name, node)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        for key in node.keys:
            self.visit(key)
        for pattern in node.patterns:
            self.visit(pattern)
        if node.rest:
            self._bind(node.rest, node)


def _mentions(value: ast.AST, target: ast.expr) -> bool:
    """Whether `value` reads the same item or attribute that `target` stores to."""
    wanted = ast.dump(_as_load(target))
    kind = type(target)
    return any(isinstance(n, kind) and ast.dump(n) == wanted for n in ast.walk(value))


def _as_load(node: ast.expr) -> ast.expr:
    copy = ast.parse(ast.unparse(node), mode="eval").body
    return copy


def strip_options(args: str) -> str:
    """Drop `-n 10 -r 3 -q -o` style options before a magic's Python statement."""
    words = args.split(" ")
    while words and words[0].startswith("-") and len(words[0]) > 1:
        option = words.pop(0)
        # options like -n, -r, -p take a value, possibly in a separate word
        if (
            option in ("-n", "-r", "-p", "-T", "-D", "-s", "-l")
            and words
            and words[0]
            and not words[0].startswith("-")
        ):
            words.pop(0)
    return " ".join(words).strip()


_GUESS_ASSIGN = re.compile(r"^([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*=[^=]", re.M)
_GUESS_DEF = re.compile(r"^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.M)
_GUESS_IMPORT = re.compile(r"^(?:from\s+\S+\s+)?import\s+(.+)$", re.M)
_GUESS_FOR = re.compile(r"^for\s+([A-Za-z_][\w\s,]*?)\s+in\s", re.M)


def _guess_definitions(code: str) -> tuple[Ref, ...]:
    """Names an unparsable cell probably binds (Python 2 code, typos), so other cells
    reading them are not reported as undefined on the strength of one broken cell."""
    found: dict[str, Ref] = {}

    def add(names: str, start: int) -> None:
        line = code.count("\n", 0, start) + 1
        for part in names.split(","):
            name = part.strip().split(" as ")[-1].strip().split(".")[0]
            if name.isidentifier():
                found.setdefault(name, Ref(name, line, 1))

    for pattern in (_GUESS_ASSIGN, _GUESS_DEF, _GUESS_FOR):
        for match in pattern.finditer(code):
            add(match.group(1), match.start())
    for match in _GUESS_IMPORT.finditer(code):
        add(match.group(1).strip("() "), match.start())
    return tuple(found.values())
