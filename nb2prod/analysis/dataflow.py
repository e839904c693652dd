"""What each cell defines, uses and mutates, from the standard library's `ast`.

Why `ast` and not LibCST's ScopeProvider: on 3,000 code cells of
../shared/corpora/wild, IPython translation + `ast.parse` + this visitor took 0.16 ms
per cell, while `libcst.parse_module` + `MetadataWrapper(...).resolve(ScopeProvider)`
took 8.5 ms per cell, 52x slower (`bench/parse_speed.py`); the check's throughput goal
(within 2x of ruff) leaves no room for that. LibCST stays for
code generation, where keeping comments matters and speed does not.

Scoping rules live in `scopes.py`, magics in `magics.py`, the records in `records.py`.
"""

from __future__ import annotations

import ast

from nb2prod.analysis.fallback import guess_definitions
from nb2prod.analysis.magics import MagicEffect, Payload, magic_effect
from nb2prod.analysis.records import (
    Call,
    CellSymbols,
    Import,
    Magic,
    Mutation,
    ParseFailure,
    Ref,
    StringAssign,
)
from nb2prod.analysis.scopes import Scope, ScopeWalker, local_bindings, params
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


def analyze_cell(source: str) -> CellSymbols:
    """Translate IPython syntax, parse once, and collect the cell's symbols."""
    code = translate(source)
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        failure = ParseFailure(exc.msg or "invalid syntax", exc.lineno or 1, (exc.offset or 1))
        return CellSymbols(defines=guess_definitions(code), parse_error=failure)
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        failure = ParseFailure(str(exc) or type(exc).__name__, 1, 1)
        return CellSymbols(defines=guess_definitions(code), parse_error=failure)
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


def dotted_name(node: ast.AST, opaque: str | None = None) -> str | None:
    """`np.random.rand` for that attribute chain; a call or subscript at its root reads `opaque`."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif opaque is not None and isinstance(node, (ast.Call, ast.Subscript)):
        parts.append(opaque)
    else:
        return None
    return ".".join(reversed(parts))


def _root_name(node: ast.AST) -> ast.Name | None:
    """The variable at the root of `df.loc[x, 'a'].b`, if any."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def _mentions(value: ast.AST, target: ast.expr) -> bool:
    """Whether `value` reads the same item or attribute that `target` stores to."""
    wanted = ast.dump(ast.parse(ast.unparse(target), mode="eval").body)  # as read, not stored
    kind = type(target)
    return any(isinstance(n, kind) and ast.dump(n) == wanted for n in ast.walk(value))


class _CellVisitor(ScopeWalker):
    """Walk a cell's statements once, recording what they bind, read, change, import and call."""

    def __init__(self) -> None:
        super().__init__()
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

    # -- driving

    def run(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            self._statement(stmt)

    def _statement(self, stmt: ast.stmt) -> None:
        effect = magic_effect(stmt)
        if effect is None:
            self.visit(stmt)
        else:
            self._magic(effect, stmt)

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

    # -- magics: get_ipython().run_line_magic(...) and friends

    def _magic(self, effect: MagicEffect, stmt: ast.stmt) -> None:
        """Record a magic, then analyse the Python code it runs in its place (or it, as is)."""
        self.magics.append(effect.magic)
        if effect.hidden is not None:
            self.hidden.append(effect.hidden)
        for name in effect.binds:
            self.defines.setdefault(name, Ref(name, effect.magic.line, 1))
            self.module.names.add(name)
        if effect.setup is not None:
            self._payload(effect.setup)
        if effect.runs is None:
            self.visit(stmt)
        else:
            self._payload(effect.runs)

    def _payload(self, payload: Payload) -> None:
        if payload.error is not None:
            self.payload_error = payload.error
        for inner in payload.statements:
            self._statement(inner)

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
        func = node.func
        name = dotted_name(func)
        if name is not None:
            self._record_call(name, node)
            if name in ("exec", "eval", "execfile") and self.scope.immediate:
                self.hidden.append(self._ref(name, node))
            if isinstance(func, ast.Attribute) and self.scope.immediate:
                root = _root_name(func.value)
                if root is not None and self._at_module(root.id):
                    if func.attr in MUTATING_METHODS:
                        self._mutated(root.id, node, f"method:{func.attr}", reads_target=False)
                    elif any(
                        k.arg == "inplace"
                        and isinstance(k.value, ast.Constant)
                        and k.value.value is True
                        for k in node.keywords
                    ):
                        self._mutated(root.id, node, "inplace", reads_target=False)
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

    def _mutated(self, name: str, node: ast.expr, how: str, *, reads_target: bool) -> None:
        self.mutations.append(
            Mutation(
                name,
                self._line(node),
                node.col_offset + 1,
                how,
                reads_target,
                name not in self.module.names,
            )
        )

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        inner = Scope("function", self.scope, names=params(node.args))
        inner.names |= local_bindings([node.body])[0]
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
        inner = Scope("comprehension", self.scope)
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

    def visit_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_ListComp
    visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value])

    # -- statements

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
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
        local, globals_, nonlocals = local_bindings(node.body)
        inner = Scope(
            "function",
            self.scope,
            names=local | params(args),
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

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(expr)
        inner = Scope("class", self.scope)
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
            root = self._changed_in_place(target)
            if root is not None:
                reads_target = augmented or (value is not None and _mentions(value, target))
                how = "item" if isinstance(target, ast.Subscript) else "attr"
                self._mutated(root, target, how, reads_target=reads_target)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._store_target(element, None, augmented=False)
            return
        if isinstance(target, ast.Starred):
            self._store_target(target.value, None, augmented=False)
            return
        self.visit(target)

    def _changed_in_place(self, target: ast.Subscript | ast.Attribute) -> str | None:
        """Visit what storing to (or deleting) `target` reads; the module variable it changes, if any."""
        self.visit(target.value)
        if isinstance(target, ast.Subscript):
            self.visit(target.slice)
        root = _root_name(target)
        if root is not None and self.scope.immediate and self._at_module(root.id):
            return root.id
        return None

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, (ast.Subscript, ast.Attribute)):
                root = self._changed_in_place(target)
                if root is not None:
                    self._mutated(root, target, "del-item", reads_target=True)
            else:
                self.visit(target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._store_target(node.target, None, augmented=False)
        for stmt in node.body + node.orelse:
            self._statement(stmt)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._store_target(item.optional_vars, None, augmented=False)
        for stmt in node.body:
            self._statement(stmt)

    visit_AsyncWith = visit_With

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

    visit_If = _block
    visit_While = _block
    visit_Try = _block
    visit_TryStar = _block

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
