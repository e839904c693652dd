"""Python's scoping rules over `ast`: where a name read or bound inside a cell resolves.

Functions and lambdas see module names only when called (their reads are *deferred*),
class bodies and comprehensions run at once, a comprehension's first iterable is
evaluated outside it, `global`/`nonlocal` redirect bindings, and a walrus inside a
comprehension binds outside it.

As in pyflakes, a read that cannot fail with an undefined name is *guarded* (inside `try:`
with an `except NameError:`, or under `if 'x' in globals():`), and after an unconditional
`del x` the name is unbound again: a later read in the cell is undefined, whatever ran before.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from nb2prod.analysis.records import Ref


@dataclass(slots=True)
class Scope:
    kind: str  # module, function, class, comprehension
    parent: Scope | None
    names: set[str] = field(default_factory=set)  # bound so far (module, class) or local
    globals_: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    @property
    def immediate(self) -> bool:
        """Whether code in this scope runs when the cell runs."""
        scope: Scope | None = self
        while scope is not None:
            if scope.kind == "function":
                return False
            scope = scope.parent
        return True


# Nodes with nothing below them that binds or reads a name: never visited.
LEAVES = (
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


def local_bindings(body: Iterable[ast.AST]) -> tuple[set[str], set[str], set[str]]:
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
            elif isinstance(value, ast.AST) and not isinstance(value, LEAVES):
                stack.append(value)
    return bound - globals_ - nonlocals, globals_, nonlocals


def params(args: ast.arguments) -> set[str]:
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    return names


class ScopeWalker(ast.NodeVisitor):
    """A fast `ast` visitor that knows the current scope and records the module names read and bound.

    `ast.NodeVisitor` looks up `visit_<Class>` by name on every node; a per-class cache and a
    field loop without generators make the visitor about twice as fast on real notebooks.
    """

    _dispatch: ClassVar[dict[type, str]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls._dispatch = {}  # a subclass has visit methods of its own

    def __init__(self) -> None:
        self.module = Scope("module", None)
        self.scope = self.module
        self.defines: dict[str, Ref] = {}
        self.uses: dict[str, Ref] = {}
        self.deferred: dict[str, Ref] = {}
        self.guarded: dict[str, Ref] = {}
        self.deleted_uses: dict[str, Ref] = {}
        self.deleted: set[str] = set()  # module names this cell deleted and did not bind again
        self.guard_all = False  # in a `try:` body whose handlers catch NameError
        self.guarded_names: frozenset[str] = frozenset()  # under `if 'x' in globals()` and such

    def visit(self, node: ast.AST) -> None:
        kind = type(node)
        name = self._dispatch.get(kind)
        if name is None:
            if issubclass(kind, LEAVES):
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

    def _line(self, node: ast.AST) -> int:
        return getattr(node, "lineno", 1)

    def _ref(self, name: str, node: ast.AST) -> Ref:
        return Ref(name, self._line(node), getattr(node, "col_offset", 0) + 1)

    def _read(self, name: str, node: ast.AST) -> None:
        if name == "get_ipython":
            return  # provided by IPython, and what every translated magic calls
        start = self.scope
        scope: Scope | None = start
        crossed_function = False
        while scope is not None:
            if scope.kind == "module":
                if name in scope.names:
                    return
                ref = self._ref(name, node)
                if self.guard_all or name in self.guarded_names:
                    self.guarded.setdefault(name, ref)
                elif crossed_function:
                    self.deferred.setdefault(name, ref)
                elif name in self.deleted:
                    self.deleted_uses.setdefault(name, ref)
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
            self._bound_at_module(name)
            return
        scope.names.add(name)

    def _bound_at_module(self, name: str) -> None:
        """A hook: `name` was just bound at module level."""
        self.deleted.discard(name)

    def _bind_walrus(self, name: str, node: ast.AST) -> None:
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        saved, self.scope = self.scope, scope
        self._bind(name, node)
        self.scope = saved

    def _at_module(self, name: str) -> bool:
        """Whether `name` read here resolves to the module scope, at once."""
        scope: Scope | None = self.scope
        while scope is not None and scope.kind != "module":
            if scope.kind == "function":
                return False
            if scope.kind in ("comprehension", "class") and name in scope.names:
                return False
            scope = scope.parent
        return True
