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
from collections.abc import Callable, Container, Mapping

from nb2prod.analysis.embedded import names_in_call
from nb2prod.analysis.fallback import guess_definitions
from nb2prod.analysis.idempotence import (
    is_mask,
    judge_call,
    judge_operation,
    judge_value,
    value_kind,
)
from nb2prod.analysis.imports import bind_imports, qualify
from nb2prod.analysis.magics import MagicEffect, Payload, magic_effect
from nb2prod.analysis.records import (
    Binding,
    Call,
    CellSymbols,
    ColumnChange,
    Display,
    Import,
    Magic,
    Mutation,
    ParseFailure,
    Ref,
    Rerun,
    SelfRebind,
    StringAssign,
)
from nb2prod.analysis.scopes import Scope, ScopeWalker, local_bindings, params, walk
from nb2prod.analysis.syntax import BINARY_OPERATORS, changes_first_argument, dotted_name
from nb2prod.notebook.ipysyntax import translate_parsed

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
# Of those, the ones that return a value; the others return None on the types they change, so a
# call whose value is used (`out = df.append(row)`, `print(np.sort(a))`) is another type's
# method, one that returns a new value.
VALUE_MUTATORS = frozenset({"pop", "popitem", "setdefault", "popleft"})
# Names that test whether a name exists: `if 'x' in globals():`.
_NAMESPACES = frozenset({"globals", "locals", "dir", "vars"})
# What `_record_call` takes for a keyword's value that is not a literal.
_NOT_LITERAL = object()
# Calls that show a value: a print argument as str(), display() as the notebook shows it.
_SHOWERS = {"print": "str", "display": "repr"}
# Operations that show a table's rows as they are (a subset or another order).
_ROW_VIEWS = frozenset(
    {"head", "tail", "sample", "sort_values", "sort_index", "nlargest", "nsmallest"}
)


def analyze_cell(
    source: str,
    modules: Mapping[str, str] | None = None,
    bound: Container[str] | None = None,
) -> CellSymbols:
    """Translate IPython syntax, parse once, and collect the cell's symbols.

    `modules` maps the names earlier cells bound by an import to what they import: a call
    through them (`np.sort(a)`) is a library call, never a change of a notebook variable.
    `bound`: the names earlier cells bind, which shadow automagic (`ipysyntax.automagic`).
    """
    code, tree = translate_parsed(source, bound)
    try:
        if tree is None:
            tree = ast.parse(code)
    except SyntaxError as exc:
        failure = ParseFailure(exc.msg or "invalid syntax", exc.lineno or 1, (exc.offset or 1))
        return CellSymbols(defines=guess_definitions(code), parse_error=failure)
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        failure = ParseFailure(str(exc) or type(exc).__name__, 1, 1)
        return CellSymbols(defines=guess_definitions(code), parse_error=failure)
    return analyze_tree(tree, modules)


def analyze_tree(tree: ast.Module, modules: Mapping[str, str] | None = None) -> CellSymbols:
    """Collect the symbols of code already parsed (IPython syntax already translated)."""
    visitor = _CellVisitor(modules)
    try:
        visitor.run(tree)
    except RecursionError:
        return CellSymbols(parse_error=ParseFailure("code is nested too deeply to analyse", 1, 1))
    if visitor.payload_error is not None:
        return CellSymbols(parse_error=visitor.payload_error)
    return visitor.result()


def _root_name(node: ast.AST) -> ast.Name | None:
    """The variable at the root of `df.loc[x, 'a'].b`, if any."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node if isinstance(node, ast.Name) else None


_AUGMENTED = BINARY_OPERATORS


def _row_view(node: ast.expr) -> str | None:
    """The table `df.head()`, `df.sort_values('a')` or `df[df.a > 0]` shows rows of, as they are."""
    while True:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr not in _ROW_VIEWS:
                return None
            node = node.func.value
        elif isinstance(node, ast.Subscript):
            inner = node.value
            if isinstance(inner, ast.Attribute) and inner.attr in ("loc", "iloc"):
                inner = inner.value
            if isinstance(node.slice, ast.Tuple) or not (
                isinstance(node.slice, ast.Slice) or is_mask(node.slice)
            ):
                return None
            node = inner
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def _equal(a: object, b: object) -> bool:
    """The same expression, read or stored (`ctx` aside)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, ast.AST):
        return all(
            _equal(getattr(a, f, None), getattr(b, f, None)) for f in a._fields if f != "ctx"
        )
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _same_as(target: ast.expr) -> Callable[[ast.AST], bool]:
    """A test for a read of the same item or attribute that `target` stores to."""
    kind = type(target)
    return lambda n: type(n) is kind and _equal(n, target)


def _is_name(name: str) -> Callable[[ast.AST], bool]:
    return lambda n: isinstance(n, ast.Name) and n.id == name


def _reads_outer(value: ast.AST, name: str) -> bool:
    """Whether `value` reads `name` itself, not a comprehension's variable of that name."""
    inner: set[int] = set()
    for node in walk(value):
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            targets = [n for g in node.generators for n in walk(g.target)]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                # its first iterable is read outside it
                first = {id(n) for n in walk(node.generators[0].iter)}
                inner |= {id(n) for n in walk(node)} - first
    return any(isinstance(n, ast.Name) and n.id == name and id(n) not in inner for n in walk(value))


def _catches_name_error(handler: ast.ExceptHandler) -> bool:
    """pyflakes' rule: an `except NameError` (alone or in a tuple) guards the try body."""
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(dotted_name(k) in ("NameError", "builtins.NameError") for k in kinds if k)


def _existence_checks(test: ast.expr) -> tuple[frozenset[str], frozenset[str]]:
    """The names `if 'x' in globals():` proves bound in its body, and those `not in` proves
    bound in its `else`."""
    if isinstance(test, ast.BoolOp):
        parts = [_existence_checks(v) for v in test.values]
        if isinstance(test.op, ast.And):
            return frozenset().union(*(p[0] for p in parts)), frozenset()
        return frozenset(), frozenset().union(*(p[1] for p in parts))
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inside, outside = _existence_checks(test.operand)
        return outside, inside
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Constant)
        and isinstance(test.left.value, str)
        and isinstance(test.comparators[0], ast.Call)
        and isinstance(test.comparators[0].func, ast.Name)
        and test.comparators[0].func.id in _NAMESPACES
    ):
        name = frozenset({test.left.value})
        if isinstance(test.ops[0], ast.In):
            return name, frozenset()
        if isinstance(test.ops[0], ast.NotIn):
            return frozenset(), name
    return frozenset(), frozenset()


def _memberships(test: ast.expr) -> frozenset[tuple[str, str]]:
    """`'c' in df.columns` (or `in df`, `in df.keys()`), joined by `and`: (df, dump of 'c')."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return frozenset().union(*(_memberships(v) for v in test.values))
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In):
        holder: ast.AST = test.comparators[0]
        if isinstance(holder, ast.Call) and not holder.args:
            holder = holder.func
        if isinstance(holder, ast.Attribute) and holder.attr in ("columns", "index", "keys"):
            holder = holder.value
        if isinstance(holder, ast.Name):
            return frozenset({(holder.id, ast.dump(test.left))})
    return frozenset()


def _labels_argument(call: ast.Call) -> ast.expr | None:
    """What `df.drop(...)` or `df.pop(...)` names to remove."""
    for keyword in call.keywords:
        if keyword.arg in ("columns", "labels", "index"):
            return keyword.value
    return call.args[0] if call.args else None


def _constant_labels(node: ast.AST | None) -> tuple[str, ...]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, (ast.List, ast.Tuple)):
        return tuple(
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        )
    return ()


def _dropped_columns(call: ast.Call) -> tuple[str, ...]:
    """The columns `df.drop(...)` or `df.pop(...)` removes, where they are literals."""
    assert isinstance(call.func, ast.Attribute)
    keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
    if call.func.attr == "pop":
        return _constant_labels(call.args[0]) if len(call.args) == 1 else ()
    if call.func.attr != "drop":
        return ()
    if "columns" in keywords:
        return _constant_labels(keywords["columns"])
    axis = keywords.get("axis")
    labels = call.args[0] if call.args else keywords.get("labels")
    if isinstance(axis, ast.Constant) and axis.value in (1, "columns"):
        return _constant_labels(labels)
    return ()


class _CellVisitor(ScopeWalker):
    """Walk a cell's statements once, recording what they bind, read, change, import and call."""

    def __init__(self, modules: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.modules = dict(modules or {})  # names bound by imports -> what they import
        self.classes: dict[str, str] = {}  # names bound to `SomeClass(...)` -> its qualified name
        self.deletes: list[Ref] = []
        self.mutations: list[Mutation] = []
        self.self_rebinds: list[SelfRebind] = []
        self.bindings: dict[str, Binding] = {}
        self.column_changes: list[ColumnChange] = []
        self.displays: list[Display] = []
        self.discarded: set[int] = set()  # ids of calls whose value nothing uses
        self.top: ast.stmt | None = None  # the cell's top-level statement being walked
        self.last: ast.stmt | None = None  # the cell's last statement: what the notebook shows
        self.conditional = 0  # inside if/while/ternary: a `del` there may not run
        # (table, label) pairs an enclosing `if 'c' in df.columns:` proves present, as ast dumps
        self.present: frozenset[tuple[str, str]] = frozenset()
        self.imports: list[Import] = []
        self.calls: list[Call] = []
        self.magics: list[Magic] = []
        self.hidden: list[Ref] = []
        self.strings: list[StringAssign] = []
        # names read, in order; sliced to see what a value read
        self.read_log: list[str] = []
        self.payload_error: ParseFailure | None = None

    # -- driving

    def run(self, tree: ast.Module) -> None:
        self.last = tree.body[-1] if tree.body else None
        for stmt in tree.body:
            self.top = stmt
            self._statement(stmt)
        self.top = None

    def _resolve(self, name: str) -> str | None:
        return qualify(self.modules, name)

    def _shown(self, stmt: ast.Expr) -> None:
        """The module names a top-level expression shows: printed, or displayed as the last line."""
        value = stmt.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            how = _SHOWERS.get(value.func.id)
            if how is not None:
                self.displays.extend(
                    Display(a.id, how) for a in value.args if isinstance(a, ast.Name)
                )
        elif stmt is self.last:
            if isinstance(value, ast.Name):
                self.displays.append(Display(value.id, "repr"))
            else:
                rows = _row_view(value)
                if rows is not None:
                    self.displays.append(Display(rows, "rows"))

    def _statement(self, stmt: ast.stmt) -> None:
        # a translated magic is `get_ipython().method(...)`, alone or assigned (`magic_call`)
        effect = None
        if isinstance(stmt, (ast.Expr, ast.Assign)) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
                effect = magic_effect(stmt)
        if effect is None:
            self.visit(stmt)
        else:
            self._magic(effect, stmt)

    def result(self) -> CellSymbols:
        deferred = (
            tuple(
                r
                for name, r in self.deferred.items()
                if name not in self.module.names
                and name not in self.defines
                and name not in self.uses
            )
            if self.deferred
            else ()
        )
        guarded = (
            tuple(r for name, r in self.guarded.items() if name not in self.uses)
            if self.guarded
            else ()
        )
        return CellSymbols(
            defines=tuple(self.defines.values()),
            uses=tuple(self.uses.values()),
            deferred_uses=deferred,
            guarded_uses=guarded,
            deletes=tuple(self.deletes),
            unbound=frozenset(self.deleted),
            deleted_uses=tuple(self.deleted_uses.values()),
            mutations=tuple(self.mutations),
            self_rebinds=tuple(self.self_rebinds),
            imports=tuple(self.imports),
            calls=tuple(self.calls),
            magics=tuple(self.magics),
            hidden_origins=tuple(self.hidden),
            string_assignments=tuple(self.strings),
            bindings=tuple(self.bindings.values()),
            column_changes=tuple(self.column_changes),
            displays=tuple(self.displays),
        )

    def _bound_at_module(self, name: str) -> None:
        if self.deleted:
            self.deleted.discard(name)
        # the visitor of a def, class, import or assignment records it after binding; a name
        # bound any other way has no binding, and compares equal to none
        if name in self.bindings:
            del self.bindings[name]
        if name in self.classes:
            del self.classes[name]
        if name in self.modules:
            del self.modules[name]

    def _binding(
        self,
        name: str,
        kind: str,
        node: ast.stmt,
        target: str = "",
        literal: str | None = None,
    ) -> None:
        """Record the top-level statement `node` as what binds `name` now."""
        if node is not self.top:
            return
        start = node.lineno
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([start] + [d.lineno for d in node.decorator_list])
        end = node.end_lineno or node.lineno
        self.bindings[name] = Binding(name, kind, start, end, target, literal)

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
        context = type(node.ctx)
        if context is ast.Load:
            name = node.id
            self.read_log.append(name)
            if self.scope is not self.module or name not in self.module.names:
                self._read(name, node)  # else bound above in the cell: nothing to record
        elif context is ast.Store:
            self._bind(node.id, node)
        else:  # del x
            self._read(node.id, node)
            # as pyflakes: a `del` under if/while may not run, so the name stays bound
            if self.scope is self.module and not self.conditional:
                self.module.names.discard(node.id)
                self.deleted.add(node.id)
                self.bindings.pop(node.id, None)
                self.deletes.append(self._ref(node.id, node))

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind_walrus(node.target.id, node.target)

    def visit_Expr(self, node: ast.Expr) -> None:
        self.discarded.add(id(node.value))
        self.visit(node.value)
        if node is self.top:
            self._shown(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = dotted_name(func)
        immediate = self.scope.immediate
        if name is not None:
            self._record_call(name, node, immediate)
            if name in ("exec", "eval", "execfile") and immediate:
                self.hidden.append(self._ref(name, node))
        if (
            immediate
            and isinstance(func, ast.Attribute)
            and (func.attr in MUTATING_METHODS or node.keywords)
        ):
            root = _root_name(func.value)  # df.a.fillna(...) and df["a"].fillna(...) alike
            if root is not None and self._at_module(root.id):
                self._method_call(root.id, node, func)
        if immediate and name is not None and node.args:
            self._in_place_call(name, node)
        # names a formula, query or numexpr string reads from this namespace (embedded.py);
        # only a call given a string first, or keywords, can pass one
        args = node.args
        if node.keywords or (
            args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)
        ):
            for embedded in names_in_call(node, self.imports):
                self.read_log.append(embedded.name)
                self._read(embedded.name, embedded.literal)
        # the fields in `ast.Call._fields` order, as `generic_visit` would
        self.visit(func)
        for argument in node.args:
            self.visit(argument)
        for keyword in node.keywords:
            self.visit(keyword.value)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.visit(node.value)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.visit(node.value)
        self.visit(node.slice)

    def _in_place_call(self, name: str, node: ast.Call) -> None:
        """`np.fill_diagonal(corr, 1)`: a library function that changes its first argument."""
        qualified = self._resolve(name)
        if qualified is None or not changes_first_argument(qualified):
            return
        root = _root_name(node.args[0])
        if root is not None and self._at_module(root.id):
            how = "call:" + qualified.rpartition(".")[2]
            self._mutated(root.id, node, how, reads_target=False)

    def _method_call(self, root: str, node: ast.Call, func: ast.Attribute) -> None:
        """Record `root....method(...)` as a change of `root` where it is one."""
        if func.attr in MUTATING_METHODS:
            if func.attr not in VALUE_MUTATORS and id(node) not in self.discarded:
                return  # its value is used: not the in-place method of a list, dict or set
            how = f"method:{func.attr}"
        elif any(
            k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        ):
            how = "inplace"
        else:
            return
        if root in self.modules:
            return
        rerun = judge_call(node, func.value, _is_name(root), self._resolve, self.classes)
        rerun = self._unless_checked(rerun, root, _labels_argument(node))
        self._mutated(root, node, how, reads_target=False, rerun=rerun)
        if isinstance(func.value, ast.Name):
            for column in _dropped_columns(node):
                self.column_changes.append(ColumnChange(root, column, "dropped", node.lineno))

    def _record_call(self, name: str, node: ast.Call, immediate: bool) -> None:
        args = node.args
        strings = (
            [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if args
            else []
        )
        keywords: list[str] = []  # those not given a literal None
        false_keywords: list[str] = []
        has_star_kwargs = False
        for k in node.keywords:
            value = k.value
            literal = value.value if isinstance(value, ast.Constant) else _NOT_LITERAL
            if isinstance(literal, str):
                strings.append(literal)
            if k.arg is None:
                has_star_kwargs = True
                continue
            if literal is not None:
                keywords.append(k.arg)
            if literal is False:
                false_keywords.append(k.arg)
        self.calls.append(
            Call(
                name=name,
                line=node.lineno,
                column=node.col_offset + 1,
                keywords=tuple(keywords),
                false_keywords=tuple(false_keywords),
                n_args=len(args),
                has_star_kwargs=has_star_kwargs,
                string_args=tuple(strings),
                deferred=not immediate,
            )
        )

    def _mutated(
        self,
        name: str,
        node: ast.expr,
        how: str,
        *,
        reads_target: bool,
        rerun: Rerun | None = None,
    ) -> None:
        if name in self.modules:
            return  # `plt.rcParams[...] = ...`, `pd.options...`: the library's state, not the notebook's
        self.mutations.append(
            Mutation(
                name,
                self._line(node),
                node.col_offset + 1,
                how,
                reads_target,
                name not in self.module.names,
                rerun,
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
        self.discarded.update(id(e) for e in elements)  # `[items.append(x) for x in xs]`
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
        self._binding(node.name, "def", node)
        local, globals_, nonlocals = local_bindings(node.body)
        inner = Scope(
            "function",
            self.scope,
            names=local | params(args),
            globals_=globals_,
            nonlocals=nonlocals,
        )
        saved, self.scope = self.scope, inner
        guard = self.guard_all
        self.guard_all = False  # the body runs when called, outside this `try`
        for name in globals_:
            # a function that assigns a global defines it (when called)
            if any(
                isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                for n in walk(node)
            ):
                self.defines.setdefault(name, self._ref(name, node))
        for stmt in node.body:
            self._statement(stmt)
        self.scope = saved
        self.guard_all = guard

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
        self._binding(node.name, "class", node)

    def visit_Global(self, node: ast.Global) -> None:
        if self.scope.kind != "module":
            self.scope.globals_.update(node.names)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            self._imported(Import(alias.name, None, bound, self._line(node)), node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            if alias.name == "*":
                self.imports.append(Import(module, "*", None, self._line(node), node.level))
                self.hidden.append(self._ref(f"from {'.' * node.level}{module} import *", node))
                continue
            bound = alias.asname or alias.name
            self._imported(Import(module, alias.name, bound, self._line(node), node.level), node)

    def _imported(self, imp: Import, node: ast.Import | ast.ImportFrom) -> None:
        assert imp.bound_as is not None
        self.imports.append(imp)
        self._bind(imp.bound_as, node)
        if self.scope is self.module:
            bind_imports(self.modules, (imp,))
            what = f"{'.' * imp.level}{imp.module}" + (f".{imp.name}" if imp.name else "")
            self._binding(imp.bound_as, "import", node, target=f"{what} as {imp.bound_as}")

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
        reads = self.read_log[start:]
        rebound = self._check_self_rebind(node.targets, node.value, reads)
        for target in node.targets:
            self._store_target(target, node.value, augmented=False)
        if self.scope is self.module and not rebound:
            self._assigned(node.targets, node.value, node)

    def _assigned(self, targets: list[ast.expr], value: ast.expr, node: ast.stmt) -> None:
        """Bindings, and objects of known classes, of a top-level assignment."""
        if node is not self.top:
            return
        literal = None
        if isinstance(value, ast.Constant) and isinstance(value.value, (int, float, str)):
            literal = str(value.value)
        names = []
        for target in targets:
            for element in target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]:
                if isinstance(element, ast.Name):
                    names.append(element.id)
                    self._binding(element.id, "assign", node, literal=literal)
        if len(names) == 1 and isinstance(value, ast.Call):
            callee = dotted_name(value.func)
            qualified = self._resolve(callee) if callee is not None else None
            if qualified is not None and qualified.rsplit(".", 1)[-1][:1].isupper():
                self.classes[names[0]] = qualified

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        rebound = False
        reads: list[str] = []
        if node.value is not None:
            start = len(self.read_log)
            self.visit(node.value)
            reads = self.read_log[start:]
            rebound = self._check_self_rebind([node.target], node.value, reads)
        if self.scope.kind in ("module", "class"):
            self.visit(node.annotation)
        if node.value is not None or not isinstance(node.target, ast.Name):
            self._store_target(node.target, node.value, augmented=False)
        if node.value is not None and self.scope is self.module and not rebound:
            self._assigned([node.target], node.value, node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        operator = _AUGMENTED.get(type(node.op), "?") + "="
        if isinstance(target, ast.Name):
            if self.scope is self.module and target.id not in self.module.names:
                rerun = judge_operation("augmented", operator)
                self.self_rebinds.append(
                    SelfRebind(target.id, target.lineno, target.col_offset + 1, rerun)
                )
            self._read(target.id, target)
            self.visit(node.value)
            self._bind(target.id, target)
            return
        self.visit(node.value)
        self._store_target(target, node.value, augmented=True, operator=operator)

    def _check_self_rebind(
        self, targets: list[ast.expr], value: ast.expr, value_reads: list[str]
    ) -> bool:
        """Record `x = f(x)` on names the cell did not bind before; whether any target is one."""
        if self.scope is not self.module or not value_reads:
            return False
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        for t in targets:
            if isinstance(t, (ast.Tuple, ast.List)):
                names |= {e.id for e in t.elts if isinstance(e, ast.Name)}
        common = names.intersection(value_reads)
        if not common:
            return False
        reads = {n for n in common if _reads_outer(value, n)}
        if not reads:
            return False
        names -= self.module.names
        for t in targets:
            pairs: list[tuple[ast.expr, ast.expr]] = [(t, value)]
            if (
                isinstance(t, (ast.Tuple, ast.List))
                and isinstance(value, (ast.Tuple, ast.List))
                and len(t.elts) == len(value.elts)
            ):
                pairs = list(zip(t.elts, value.elts, strict=True))  # a, b = a / 2, b / 2
            for part, part_value in pairs:
                for n in ast.walk(part):
                    if isinstance(n, ast.Name) and n.id in names & reads:
                        rerun = judge_value(part_value, _is_name(n.id), self._resolve, self.classes)
                        if isinstance(part_value, ast.Call):
                            labels = _labels_argument(part_value)
                            rerun = self._unless_checked(rerun, n.id, labels)
                        self.self_rebinds.append(
                            SelfRebind(n.id, n.lineno, n.col_offset + 1, rerun)
                        )
                        if isinstance(part_value, ast.Call):
                            self._dropped_by_rebind(n.id, part_value)
        return True

    def _dropped_by_rebind(self, name: str, value: ast.Call) -> None:
        """`df = df.drop(columns=['c'])`: the column is gone."""
        func = value.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == name
        ):
            for column in _dropped_columns(value):
                self.column_changes.append(ColumnChange(name, column, "dropped", value.lineno))

    def _store_target(
        self, target: ast.expr, value: ast.expr | None, *, augmented: bool, operator: str = ""
    ) -> None:
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            root = self._changed_in_place(target)
            if root is not None and root not in self.modules:
                self._stored(root, target, value, operator if augmented else None)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._store_target(element, None, augmented=False)
            return
        if isinstance(target, ast.Starred):
            self._store_target(target.value, None, augmented=False)
            return
        self.visit(target)

    def _stored(
        self,
        root: str,
        target: ast.Subscript | ast.Attribute,
        value: ast.expr | None,
        op: str | None,
    ) -> None:
        """An item or attribute store: a change of `root`, and what a second run does."""
        how = "item" if isinstance(target, ast.Subscript) else "attr"
        rerun = None
        if op is not None:
            rerun = judge_operation("augmented", op)
        elif value is not None:
            shape = type(target)
            if any(type(n) is shape and _equal(n, target) for n in walk(value)):
                is_self = _same_as(target)
                rerun = judge_value(
                    value, is_self, self._resolve, self.classes, stored_as_item=True
                )
        self._mutated(root, target, how, reads_target=rerun is not None, rerun=rerun)
        if value is None or op is not None or not isinstance(target.value, ast.Name):
            return
        column = target.attr if isinstance(target, ast.Attribute) else None
        index = target.slice if isinstance(target, ast.Subscript) else None
        if isinstance(index, ast.Constant) and isinstance(index.value, str):
            column = index.value
        kind = value_kind(value, self._resolve) if column is not None else None
        if column is not None and kind is not None:
            self.column_changes.append(ColumnChange(root, column, kind, target.lineno))

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
                    rerun = judge_operation("statements", "del")
                    if isinstance(target, ast.Subscript):
                        rerun = self._unless_checked(rerun, root, target.slice)
                    self._mutated(root, target, "del-item", reads_target=True, rerun=rerun)
                    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                        for column in _constant_labels(target.slice):
                            self.column_changes.append(
                                ColumnChange(root, column, "dropped", node.lineno)
                            )
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

    def visit_While(self, node: ast.While) -> None:
        self.conditional += 1
        self._block(node)
        self.conditional -= 1

    def visit_If(self, node: ast.If) -> None:
        inside, outside = _existence_checks(node.test)
        saved, present = self.guarded_names, self.present
        self.conditional += 1
        self.guarded_names = saved | inside | outside
        self.visit(node.test)
        self.guarded_names = saved | inside
        self.present = present | _memberships(node.test)
        for stmt in node.body:
            self._statement(stmt)
        self.guarded_names, self.present = saved | outside, present
        for stmt in node.orelse:
            self._statement(stmt)
        self.guarded_names = saved
        self.conditional -= 1

    def _unless_checked(self, rerun: Rerun, root: str, labels: ast.AST | None) -> Rerun:
        """A drop or del under `if label in table:` is skipped once the label is gone."""
        if (
            rerun.idempotent is False
            and labels is not None
            and (root, ast.dump(labels)) in self.present
        ):
            return Rerun(rerun.ops, True, "")
        return rerun

    def visit_IfExp(self, node: ast.IfExp) -> None:
        inside, outside = _existence_checks(node.test)
        saved = self.guarded_names
        self.conditional += 1
        self.guarded_names = saved | inside | outside
        self.visit(node.test)
        self.guarded_names = saved | inside
        self.visit(node.body)
        self.guarded_names = saved | outside
        self.visit(node.orelse)
        self.guarded_names = saved
        self.conditional -= 1

    def visit_Try(self, node: ast.Try | ast.TryStar) -> None:
        saved = self.guard_all
        # pyflakes: only the innermost `try` counts, and only for its body
        self.guard_all = any(_catches_name_error(h) for h in node.handlers)
        for stmt in node.body:
            self._statement(stmt)
        self.guard_all = saved
        for handler in node.handlers:
            self.visit(handler)
        for stmt in node.orelse + node.finalbody:
            self._statement(stmt)

    visit_TryStar = visit_Try

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
