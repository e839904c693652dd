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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from nb2prod.analysis.records import Ref


@dataclass(slots=True)
class Scope:
    kind: str  # module, function, class, comprehension
    parent: Scope | None
    names: set[str] = field(default_factory=set)  # bound so far (module, class) or local
    globals_: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    # whether code in this scope runs when the cell runs (no function body on the way up)
    immediate: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        self.immediate = self.kind != "function" and (self.parent is None or self.parent.immediate)


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


# Fields that never hold a node below which a name is bound or read (identifiers, flags,
# contexts, operators), up to Python 3.13: the walkers below skip them without a look. Not
# "name": an identifier in most nodes, but the bound `Name` of 3.12's `type X = ...`.
_NON_CHILD_FIELDS = frozenset(
    {
        "arg",
        "asname",
        "attr",
        "conversion",
        "ctx",
        "id",
        "is_async",
        "kind",
        "kwd_attrs",
        "level",
        "module",
        "n",
        "names",
        "op",
        "ops",
        "rest",
        "s",
        "simple",
        "tag",
        "type_comment",
        "type_ignores",
    }
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(kind: type) -> tuple[str, ...]:
    """The fields of node class `kind` that may hold nodes to walk, in `_fields` order."""
    found = _CHILD_FIELDS.get(kind)
    if found is None:
        found = tuple(f for f in getattr(kind, "_fields", ()) if f not in _NON_CHILD_FIELDS)
        _CHILD_FIELDS[kind] = found
    return found


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes under `node`, itself included, but for contexts and operators: `ast.walk`
    for a search of names or expressions, in another order and about twice as fast."""
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if not isinstance(item, ast.AST):
            continue  # a default left out, `{**d}`'s key
        yield item
        kind = type(item)
        for field_name in _CHILD_FIELDS.get(kind) or child_fields(kind):
            value = getattr(item, field_name, None)
            if type(value) is list:
                stack.extend(value)
            elif value is not None:
                stack.append(value)


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# The node classes `local_bindings` looks at; every other node it only walks through.
_BINDERS = frozenset(
    {
        ast.Name,
        *_DEFINITIONS,
        ast.Lambda,
        *_COMPREHENSIONS,
        ast.Import,
        ast.ImportFrom,
        ast.ExceptHandler,
        ast.MatchAs,
        ast.MatchStar,
        ast.MatchMapping,
        ast.Global,
        ast.Nonlocal,
    }
)
# The classes of LEAVES (the parser makes only these, never their base classes).
_LEAF_CLASSES = frozenset(
    c for c in vars(ast).values() if isinstance(c, type) and issubclass(c, LEAVES)
)


def local_bindings(body: Iterable[ast.AST]) -> tuple[set[str], set[str], set[str]]:
    """Names a function body binds (Python's compile-time rule), plus its global/nonlocal declarations."""
    bound: set[str] = set()
    globals_: set[str] = set()
    nonlocals: set[str] = set()
    stack: list[object] = list(body)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in _BINDERS:
            if isinstance(node, ast.Name):
                if not isinstance(node.ctx, ast.Load):  # Store or Del
                    bound.add(node.id)
                continue  # nothing below a name binds
            if isinstance(node, _DEFINITIONS):
                bound.add(node.name)
                stack.extend(node.decorator_list)
                if not isinstance(node, ast.ClassDef):
                    stack.extend(node.args.defaults)
                    stack.extend(node.args.kw_defaults)
                continue
            if isinstance(node, ast.Lambda):
                stack.extend(node.args.defaults)
                continue
            if isinstance(node, _COMPREHENSIONS):
                stack.append(node.generators[0].iter)
                # a walrus inside a comprehension binds in the enclosing function
                for inner in walk(node):
                    if isinstance(inner, ast.NamedExpr) and isinstance(inner.target, ast.Name):
                        bound.add(inner.target.id)
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name != "*":
                        bound.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
                if node.name:
                    bound.add(node.name)
            elif isinstance(node, ast.MatchMapping):
                if node.rest:
                    bound.add(node.rest)
            elif isinstance(node, ast.Global):
                globals_.update(node.names)
            elif isinstance(node, ast.Nonlocal):
                nonlocals.update(node.names)
        elif node is None or kind in _LEAF_CLASSES:
            continue  # a default left out, `{**d}`'s key; a constant, an operator
        # lists of child fields hold nodes and None; other child fields a node, None or a
        # constant's value (`case None:`), which has no fields
        for field_name in _CHILD_FIELDS.get(kind) or child_fields(kind):
            value = getattr(node, field_name, None)
            if type(value) is list:
                stack.extend(value)
            elif value is not None:
                stack.append(value)
    return bound - globals_ - nonlocals, globals_, nonlocals


def params(args: ast.arguments) -> set[str]:
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    return names


# What a walker does with a node of some class: the method to call, or nothing (a leaf).
Visit = Callable[[Any, ast.AST], None] | None


class ScopeWalker(ast.NodeVisitor):
    """A fast `ast` visitor that knows the current scope and records the module names read and bound.

    `ast.NodeVisitor` looks up `visit_<Class>` by name on every node and walks every field; a
    per-class table of methods, fields that can hold no name left out (`child_fields`), and
    the dispatch inlined in `generic_visit` make the walk about three times as fast on real
    notebooks (the check's throughput is bounded by issue #12: within 2x of ruff).
    """

    _dispatch: ClassVar[dict[type, Visit]] = {}

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

    @classmethod
    def _method(cls, kind: type) -> Visit:
        """The function that visits nodes of class `kind` (None for a leaf), remembered."""
        method: Visit = None
        if not issubclass(kind, LEAVES):
            found = getattr(cls, "visit_" + kind.__name__, None)
            method = found if found is not None else cls.generic_visit
        cls._dispatch[kind] = method
        return method

    def visit(self, node: ast.AST) -> None:
        kind = type(node)
        dispatch = self._dispatch
        method = dispatch[kind] if kind in dispatch else self._method(kind)
        if method is not None:
            method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        dispatch = self._dispatch
        for field_name in child_fields(type(node)):
            value = getattr(node, field_name, None)
            if type(value) is list:
                for item in value:
                    kind = type(item)
                    if kind in dispatch:
                        method = dispatch[kind]
                    elif isinstance(item, ast.AST):
                        method = self._method(kind)
                    else:
                        continue  # None in a dict's keys (`{**d}`), a default left out
                    if method is not None:
                        method(self, item)
            elif value is not None:
                kind = type(value)
                if kind in dispatch:
                    method = dispatch[kind]
                elif isinstance(value, ast.AST):
                    method = self._method(kind)
                else:
                    continue  # a constant's value
                if method is not None:
                    method(self, value)

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
                if self.guard_all or name in self.guarded_names:
                    first = self.guarded
                elif crossed_function:
                    first = self.deferred
                elif name in self.deleted:
                    first = self.deleted_uses
                else:
                    first = self.uses
                if name not in first:  # the first read is the one reported
                    first[name] = self._ref(name, node)
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
            if name not in self.defines:  # the first binding is the one recorded
                self.defines[name] = self._ref(name, node)
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
