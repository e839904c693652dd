"""Where unseeded random values go: only to a plot or a print, or into something that keeps them.

NB109 reports a draw when its value can change a result. A value that only ends in a
display (`plt.hist(np.random.rand(1000))`, `x = np.random.randn(50)` later only plotted or
printed) changes a picture or a printed line, and `verify` already compares such outputs
as nondeterministic (NB303); a value that reaches a model fit, a file, a function of the
notebook, a stored object or a branch can change results, and is reported.

The walk follows values through assignments to plain names, in page order, from the
cells that draw to the cells that read what they bound. It re-parses only those cells
(the data-flow records say which cells read which names), so `check` stays fast.
Anything it cannot follow counts as a use: the walk only ever removes a finding when
every path of the value ends in a display. Two refinements keep it honest: a printed
statistic of random values (a mean, a score) is a result, not a display; and the notebook's
own functions are summarised (which arguments they use, which they return) rather than
taken as uses, so `ecdf_plot(np.random.randn(100))` is a display when `ecdf_plot` only plots.
The tables it reads (displays, pure libraries, fits, writers) are in `randomness`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from nb2prod.analysis.dataflow import MUTATING_METHODS
from nb2prod.analysis.imports import qualify
from nb2prod.analysis.magics import magic_effect
from nb2prod.analysis.randomness import (
    DISPLAY_SINKS,
    FIT_METHODS,
    IN_PLACE_DRAWS,
    INFERENCE_METHODS,
    PURE_BUILTINS,
    PURE_LIBRARIES,
    STATISTICS,
    CellTrees,
    Sink,
    is_writer,
    library_sink,
)
from nb2prod.analysis.scopes import local_bindings, params
from nb2prod.analysis.symbols import Analysis
from nb2prod.analysis.syntax import NUMPY_IN_PLACE, dotted_name

# Attributes that describe an array's layout, not its values.
_LAYOUT = frozenset({"shape", "ndim", "dtype"})

Label = tuple[int, int, int]  # cell index, line, column of a reported draw
# A label as the walk carries it: the draw, and whether the value is a statistic of it
_Tag = tuple[int, int, int, bool]
Labels = frozenset[_Tag]
_NONE: Labels = frozenset()


def _random(labels: Labels) -> bool:
    """The value holds draws (not only a summarised function's own parameters)."""
    return any(cell >= 0 for cell, _, _, _ in labels)


def _derived(labels: Labels) -> Labels:
    return frozenset((cell, line, column, True) for cell, line, column, _ in labels)


def root_name(node: ast.AST) -> str | None:
    """The variable at the root of `df.loc[x, 'a'].b` or of a starred `*rest`, if any."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def displayed_only(
    analysis: Analysis,
    trees: CellTrees,
    aliases: Mapping[str, str],
    draws: Mapping[int, Iterable[tuple[int, int]]],
) -> frozenset[Label]:
    """The draws (cell, line, column) whose values reach only display sinks, or nothing at all."""
    walker = _Walker(analysis, trees, aliases, draws)
    walker.run()
    return frozenset(walker.produced - walker.escaped)


@dataclass(slots=True)
class _Frame:
    """A function, lambda or comprehension scope: its own names, their labels, fresh objects."""

    names: frozenset[str]
    function: bool
    taint: dict[str, Labels] = field(default_factory=dict)
    fresh: set[str] = field(default_factory=set)
    # a function of the notebook followed into: what its `return`s give (else they escape)
    returns: Labels | None = None
    reads: dict[str, Labels] = field(default_factory=dict)  # its globals, as they were


@dataclass(frozen=True, slots=True)
class _Summary:
    """What a function of the notebook does with its arguments: keeps (uses) or returns them."""

    positional: tuple[str, ...]
    keyword: frozenset[str]  # every parameter that may be passed by name
    vararg: str | None
    kwarg: str | None
    used: frozenset[str]  # parameters whose values reach a use inside the function
    returned: frozenset[tuple[str, bool]]  # (parameter, as a statistic of it) the result holds
    reads: tuple[tuple[str, Labels], ...]  # the globals its body reads, with what they held


class _Walker:
    """Follow the labels of draws through the cells that bind and read them, collecting escapes."""

    def __init__(
        self,
        analysis: Analysis,
        trees: CellTrees,
        aliases: Mapping[str, str],
        draws: Mapping[int, Iterable[tuple[int, int]]],
    ) -> None:
        self.analysis = analysis
        self.trees = trees
        self.aliases = dict(aliases)
        self.draws = {i: {(line, col): (i, line, col) for line, col in d} for i, d in draws.items()}
        self.taint: dict[str, Labels] = {}  # module names holding random values
        self.fresh: set[str] = set()  # module names bound in this cell to a new, unshared object
        self.frames: list[_Frame] = []
        self.cell_draws: dict[tuple[int, int], Label] = {}
        self.produced: set[Label] = set()
        self.escaped: set[Label] = set()
        self.loops = 0  # loop nesting: bodies are walked twice only near the top
        self.cell = -1
        self.summaries: dict[str, _Summary] = {}  # module functions of the notebook, by name
        self.summarising: set[str] = set()
        self.functions = 0  # numbers the parameters of each function walked (negative cells)
        self.used_params: set[tuple[int, int]] = set()
        self.reads_through: dict[str, frozenset[str]] = {}

    # -- cells

    def run(self) -> None:
        if not self.draws:
            return
        first = min(self.draws)
        for index in range(first, len(self.analysis.symbols)):
            sym = self.analysis.symbols[index]
            if sym is None:
                continue
            live = {n for n, labels in self.taint.items() if labels}
            touched = self._touched(index, live)
            if index not in self.draws and not touched:
                continue
            statements = self.trees.get(index)
            if statements is None:
                self._escape_names(touched)  # code the walk cannot read may do anything with them
                continue
            if any(r.name in ("exec", "eval") for r in sym.hidden_origins):
                self._escape_names(live)
            self.cell = index
            self.cell_draws = self.draws.get(index, {})
            self.fresh.clear()
            for position, stmt in enumerate(statements):
                self._statement(stmt, top=True, shown=position == len(statements) - 1)

    def _touched(self, index: int, live: set[str]) -> set[str]:
        """The live random names cell `index` reads, binds or changes, itself or through functions."""
        if not live:
            return set()
        sym = self.analysis.symbols[index]
        assert sym is not None
        names = {r.name for r in sym.uses}
        names |= {r.name for r in sym.deferred_uses}
        names |= {r.name for r in sym.defines}
        names |= {r.name for r in sym.deletes}
        names |= {m.name for m in sym.mutations}
        touched = names & live
        for name in names:
            touched |= self._reads_through(name) & live
        return touched

    def _reads_through(self, name: str) -> frozenset[str]:
        """Module names read by the bodies of the functions the cells defining `name` hold."""
        found = self.reads_through.get(name)
        if found is None:
            names: set[str] = set()
            for cell in self.analysis.definers.get(name, ()):
                sym = self.analysis.symbols[cell]
                if sym is not None:
                    names |= {r.name for r in sym.deferred_uses}
            found = self.reads_through[name] = frozenset(names)
        return found

    def _escape(self, labels: Labels) -> None:
        for cell, line, column, _ in labels:
            if cell < 0:
                self.used_params.add((cell, line))  # a parameter of a function being summarised
            else:
                self.escaped.add((cell, line, column))

    def _show(self, labels: Labels) -> None:
        """Values printed or shown as the cell's result: a statistic of random values is a result."""
        self._escape(frozenset(t for t in labels if t[3]))

    def _escape_names(self, names: Iterable[str]) -> None:
        for name in names:
            self._escape(self.taint.get(name, _NONE))

    # -- statements

    def _body(self, statements: Iterable[ast.stmt], *, top: bool) -> None:
        for stmt in statements:
            self._statement(stmt, top=top)

    def _statement(self, stmt: ast.stmt, *, top: bool, shown: bool = False) -> None:
        effect = magic_effect(stmt)
        if effect is not None:
            if effect.setup is not None:
                self._body(effect.setup.statements, top=top)
            if effect.runs is not None:
                self._body(effect.runs.statements, top=top)
                return
        if isinstance(stmt, ast.Expr):
            labels = self._value(stmt.value)
            if shown:
                self._show(labels)  # the cell's result; any other expression's value is dropped
        elif isinstance(stmt, ast.Assign):
            labels = self._value(stmt.value)
            for target in stmt.targets:
                self._assign(target, labels, top=top, fresh=self._is_fresh(stmt.value))
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                labels = self._value(stmt.value)
                self._assign(stmt.target, labels, top=top, fresh=self._is_fresh(stmt.value))
        elif isinstance(stmt, ast.AugAssign):
            labels = self._value(stmt.value)
            if isinstance(stmt.target, ast.Name):
                labels |= self._load(stmt.target.id, bare=False)
                self._bind(stmt.target.id, labels, top=top, fresh=False)
            else:
                self._assign(stmt.target, labels, top=top, fresh=False)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self._assign(stmt.target, self._value(stmt.iter), top=False, fresh=False)
            self._loop(stmt.body)
            self._body(stmt.orelse, top=False)
        elif isinstance(stmt, ast.While):
            self._escape(self._value(stmt.test))  # a random condition decides what runs
            self._loop(stmt.body)
            self._body(stmt.orelse, top=False)
        elif isinstance(stmt, ast.If):
            self._escape(self._value(stmt.test))
            self._body(stmt.body, top=False)
            self._body(stmt.orelse, top=False)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                labels = self._value(item.context_expr)
                if item.optional_vars is not None:
                    self._assign(item.optional_vars, labels, top=top, fresh=False)
            self._body(stmt.body, top=top)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self._body(getattr(stmt, "body", ()), top=False)
            for handler in getattr(stmt, "handlers", ()):
                self._body(handler.body, top=False)
            self._body(getattr(stmt, "orelse", ()), top=False)
            self._body(getattr(stmt, "finalbody", ()), top=False)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            summary, returned = self._function(stmt)
            self._bind(stmt.name, returned, top=top, fresh=False)
            if summary is not None and top:
                self.summaries[stmt.name] = summary
        elif isinstance(stmt, ast.ClassDef):
            self._class(stmt)
            self._bind(stmt.name, _NONE, top=top, fresh=False)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                if alias.name != "*":
                    self._bind(
                        alias.asname or alias.name.split(".")[0], _NONE, top=top, fresh=False
                    )
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    self._bind(target.id, _NONE, top=top, fresh=False)
                else:
                    self._value(target)
        elif isinstance(stmt, ast.Return):
            labels = self._value(stmt.value)
            frame = next((f for f in reversed(self.frames) if f.function), None)
            if frame is not None and frame.returns is not None:
                frame.returns = frame.returns | labels  # the function's result, followed at calls
            else:
                self._escape(labels)
        elif isinstance(stmt, ast.Match):
            self._escape(self._value(stmt.subject))
            for case in stmt.cases:
                self._body(case.body, top=False)
        else:
            # return, raise, assert, global, pass...: a random value here leaves the walk's sight
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self._escape(self._value(child))

    def _loop(self, body: list[ast.stmt]) -> None:
        """Walk a loop body; twice near the top, since one iteration may read what the last bound."""
        self.loops += 1
        try:
            for _ in range(2 if self.loops <= 2 else 1):
                self._body(body, top=False)
        finally:
            self.loops -= 1

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> tuple[_Summary | None, Labels]:
        """Walk a function's body; a plain function of the module gets a summary of its arguments.

        Its parameters hold labels of their own (cell < 0): where they end tells what the
        function does with its arguments. What its `return`s give is the function's result,
        the draws in it included, followed where the function is called.
        """
        for expr in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if expr is not None:
                self._escape(self._value(expr))
        bound, globals_, nonlocals = local_bindings(node.body)
        names = frozenset((bound | params(node.args)) - globals_ - nonlocals)
        summarised = not self.frames and not node.decorator_list
        frame = _Frame(names, function=True, returns=_NONE if summarised else None)
        args = node.args
        ordered = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
        ordered += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        self.functions += 1
        ident = -self.functions
        if summarised:
            for position, name in enumerate(ordered):
                frame.taint[name] = frozenset({(ident, position, 0, False)})
        self.frames.append(frame)
        try:
            self._body(node.body, top=True)
        finally:
            self.frames.pop()
        if frame.returns is None:
            return None, _NONE
        returned = frame.returns
        summary = _Summary(
            positional=tuple(a.arg for a in [*args.posonlyargs, *args.args]),
            keyword=frozenset(a.arg for a in [*args.args, *args.kwonlyargs]),
            vararg=args.vararg.arg if args.vararg else None,
            kwarg=args.kwarg.arg if args.kwarg else None,
            used=frozenset(n for i, n in enumerate(ordered) if (ident, i) in self.used_params),
            returned=frozenset(
                (ordered[line], derived) for cell, line, _, derived in returned if cell == ident
            ),
            reads=tuple(frame.reads.items()),
        )
        return summary, frozenset(t for t in returned if t[0] >= 0)

    def _class(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self._escape(self._value(expr))
        bound, _, _ = local_bindings(node.body)
        frame = _Frame(frozenset(bound), function=True)
        self.frames.append(frame)
        try:
            self._body(node.body, top=True)
        finally:
            self.frames.pop()
        for labels in frame.taint.values():
            self._escape(labels)  # class attributes live as long as the class

    # -- binding

    def _frame_of(self, name: str) -> _Frame | None:
        for frame in reversed(self.frames):
            if name in frame.names:
                return frame
        return None

    def _in_function(self) -> bool:
        return any(f.function for f in self.frames)

    def _bind(self, name: str, labels: Labels, *, top: bool, fresh: bool) -> None:
        frame = self._frame_of(name)
        if frame is None and self._in_function():
            self._escape(labels)  # a function sets a global
            return
        taint = self.taint if frame is None else frame.taint
        fresh_names = self.fresh if frame is None else frame.fresh
        if frame is None:
            self.summaries.pop(name, None)
        if top:
            taint[name] = labels
        else:
            taint[name] = taint.get(name, _NONE) | labels
        if fresh and top:
            fresh_names.add(name)
        else:
            fresh_names.discard(name)

    def _assign(self, target: ast.expr, labels: Labels, *, top: bool, fresh: bool) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, labels, top=top, fresh=fresh)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assign(element, labels, top=top, fresh=False)
        elif isinstance(target, ast.Starred):
            self._assign(target.value, labels, top=top, fresh=False)
        else:
            node: ast.expr = target
            while isinstance(node, (ast.Subscript, ast.Attribute)):
                if isinstance(node, ast.Subscript):
                    labels |= self._value(node.slice)
                node = node.value
            if isinstance(node, ast.Name):
                self._store_into(node.id, labels)
            else:
                self._escape(labels | self._value(node))

    def _store_into(self, name: str | None, labels: Labels) -> None:
        """A random value stored into the object `name` holds (an item, an attribute, `.append`)."""
        if not labels:
            return
        if name is None:
            self._escape(labels)
            return
        frame = self._frame_of(name)
        taint = self.taint if frame is None else frame.taint
        fresh = self.fresh if frame is None else frame.fresh
        if (frame is None and self._in_function()) or not (
            _random(taint.get(name, _NONE)) or name in fresh
        ):
            # an object made elsewhere may be shared with names the walk does not follow
            self._escape(labels)
            return
        taint[name] = taint.get(name, _NONE) | labels

    def _is_fresh(self, value: ast.expr) -> bool:
        """`value` makes a new object no other name holds (a literal, `np.zeros(n)`, `df.copy()`)."""
        if isinstance(
            value,
            (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp, ast.Tuple),
        ):
            return True
        if not isinstance(value, ast.Call):
            return False
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr == "copy":
            return True
        name = dotted_name(func)
        if name is None:
            return False
        if name in PURE_BUILTINS and self._frame_of(name) is None and name not in self.aliases:
            return True
        qualified = self._qualified(name)
        return qualified is not None and qualified.split(".")[0] in PURE_LIBRARIES

    # -- values

    def _load(self, name: str, *, bare: bool) -> Labels:
        """The labels `name` holds; a bare read may share the object, so it is no longer fresh."""
        frame = self._frame_of(name)
        # the innermost function the read happens in (-1: module level)
        inner = max((i for i, f in enumerate(self.frames) if f.function), default=-1)
        if frame is None:
            if bare:
                self.fresh.discard(name)
            labels = self.taint.get(name, _NONE)
            outside = inner >= 0
            if inner == 0 and self.frames[0].returns is not None:
                # a summarised function reads a global: followed through its body like any value,
                # and what the global holds later is checked where the function is called
                self.frames[0].reads.setdefault(name, labels)
                outside = False
        else:
            if bare:
                frame.fresh.discard(name)
            labels = frame.taint.get(name, _NONE)
            outside = any(f is frame for f in self.frames[: max(inner, 0)])
        if labels and outside:
            self._escape(labels)  # a function reads it from outside: the function may do anything
        return labels

    def _qualified(self, dotted: str) -> str | None:
        """`dotted` through the notebook's imports, unless its root is a variable of the walk."""
        root = dotted.split(".", 1)[0]
        if self._frame_of(root) is not None or self.taint.get(root):
            return None
        return qualify(self.aliases, dotted) if root in self.aliases else None

    def _value(self, node: ast.expr | None) -> Labels:
        """The labels of the random values `node` evaluates to, recording the uses inside it."""
        if node is None or isinstance(node, ast.Constant):
            return _NONE
        if isinstance(node, ast.Name):
            return self._load(node.id, bare=True)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            base = node.value
            labels = (
                self._load(base.id, bare=False) if isinstance(base, ast.Name) else self._value(base)
            )
            if isinstance(node, ast.Subscript):
                labels |= self._value(node.slice)
            elif node.attr in _LAYOUT and isinstance(base, ast.Name):
                return _NONE  # the shape of a named array of draws is not drawn
            return labels
        if isinstance(node, ast.Lambda):
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                self._escape(self._value(default))
            self.frames.append(_Frame(frozenset(params(node.args)), function=False))
            try:
                return self._value(node.body)  # calling it gives what its body gives
            finally:
                self.frames.pop()
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self._comprehension(node)
        if isinstance(node, ast.NamedExpr):
            labels = self._value(node.value)
            self._bind(node.target.id, labels, top=False, fresh=False)
            return labels
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
            labels = self._value(node.value)
            if not isinstance(node, ast.Await):
                self._escape(labels)  # handed to the caller
            return labels
        labels = _NONE
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                labels |= self._value(child)
        return labels

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> Labels:
        names: set[str] = set()
        for gen in node.generators:
            names |= {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
        labels = self._value(node.generators[0].iter)
        frame = _Frame(frozenset(names), function=False)
        self.frames.append(frame)
        try:
            for index, gen in enumerate(node.generators):
                if index:
                    labels |= self._value(gen.iter)
                self._assign(gen.target, labels, top=False, fresh=False)
                for condition in gen.ifs:
                    labels |= self._value(condition)
            if isinstance(node, ast.DictComp):
                labels |= self._value(node.key) | self._value(node.value)
            else:
                labels |= self._value(node.elt)
        finally:
            self.frames.pop()
        return labels

    def _call(self, node: ast.Call) -> Labels:
        func = node.func
        own = self._own(node)
        sink = self._sink(node)
        if sink is not None:
            shown = _NONE
            if isinstance(func, ast.Attribute):
                shown |= self._value(func.value)
            for part in [*node.args, *(k.value for k in node.keywords)]:
                shown |= self._value(part)  # shown, not kept; uses inside it still count
            if sink is Sink.PRINT:
                self._show(shown)
            return own
        positional = [self._value(a) for a in node.args]
        keywords = [(k.arg, self._value(k.value)) for k in node.keywords]
        args = _NONE.union(*positional, *(labels for _, labels in keywords))
        if isinstance(func, ast.Name):
            summary = self._summary(func.id)
            if summary is not None:
                result = self._apply(summary, node, positional, keywords)
                return own | self._load(func.id, bare=False) | result
            return own | self._call_name(func.id, node, args, own)
        if isinstance(func, ast.Attribute):
            dotted = dotted_name(func)
            qualified = self._qualified(dotted) if dotted is not None else None
            if qualified is not None:
                return own | self._call_library(qualified, node, args, own)
            return own | self._call_method(func, node, args)
        callee = self._value(func)
        if args and not callee:
            self._escape(args)
        return own | callee | args

    def _apply(
        self,
        summary: _Summary,
        node: ast.Call,
        positional: list[Labels],
        keywords: list[tuple[str | None, Labels]],
    ) -> Labels:
        """The result of calling a summarised function: arguments it uses escape, returned ones flow."""
        result = _NONE
        routed: list[tuple[str | None, Labels]] = []
        for index, (arg, labels) in enumerate(zip(node.args, positional, strict=True)):
            if isinstance(arg, ast.Starred):
                routed.append((None, labels))
            elif index < len(summary.positional):
                routed.append((summary.positional[index], labels))
            else:
                routed.append((summary.vararg, labels))
        for name, labels in keywords:
            routed.append((name if name in summary.keyword else summary.kwarg, labels))
        for param, labels in routed:
            if not labels:
                continue
            if param is None or param in summary.used:
                self._escape(labels)
                continue
            for returned, derived in summary.returned:
                if returned == param:
                    result |= _derived(labels) if derived else labels
        for name, seen in summary.reads:
            self._escape(self.taint.get(name, _NONE) - seen)  # random since it was followed
        return result

    def _summary(self, name: str) -> _Summary | None:
        """The summary of the notebook function `name` holds here, walking its definition if needed."""
        if self._frame_of(name) is not None:
            return None
        if name in self.summaries:
            return self.summaries[name]
        if name in self.summarising or name in self.aliases:
            return None
        found = self._definition(name)
        if found is None:
            return None
        cell, node = found
        saved = (self.cell, self.cell_draws, self.fresh, self.frames)
        self.summarising.add(name)
        self.cell, self.cell_draws, self.fresh, self.frames = cell, {}, set(), []
        try:
            summary, returned = self._function(node)
        finally:
            self.cell, self.cell_draws, self.fresh, self.frames = saved
            self.summarising.discard(name)
        if summary is not None and not returned:
            self.summaries[name] = summary
            return summary
        return None

    def _definition(self, name: str) -> tuple[int, ast.FunctionDef | ast.AsyncFunctionDef] | None:
        """The `def` that last bound `name` at module level before this cell, if a def did.

        A function body looks its globals up when it runs, after its own cell: from inside
        one, this cell's definitions count too.
        """
        last_cell = self.cell if self.frames else self.cell - 1
        cells = [c for c in self.analysis.definers.get(name, ()) if c <= last_cell]
        if not cells:
            return None
        statements = self.trees.get(cells[-1])
        if statements is None:
            return None
        last: ast.stmt | None = None
        for stmt in statements:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if stmt.name == name:
                    last = stmt
            elif any(
                isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                for n in ast.walk(stmt)
            ):
                last = stmt
        if isinstance(last, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return cells[-1], last
        return None

    def _own(self, node: ast.Call) -> Labels:
        label = self.cell_draws.get((node.lineno, node.col_offset + 1))
        if label is None:
            return _NONE
        self.produced.add(label)
        return frozenset({(*label, False)})

    def _sink(self, node: ast.Call) -> Sink | None:
        """The display `node` calls, if it is one of DISPLAY_SINKS."""
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
            if self._frame_of(name) is not None or self.taint.get(name):
                return None
            if name in self.aliases:
                qualified = self._qualified(name)
                return None if qualified is None else library_sink(qualified)
            if name == "print" and any(k.arg == "file" for k in node.keywords):
                return None  # writes a file
            return DISPLAY_SINKS.get(name) if name in ("print", "display") else None
        if not isinstance(func, ast.Attribute):
            return None
        dotted = dotted_name(func)
        qualified = self._qualified(dotted) if dotted is not None else None
        if qualified is not None:
            return library_sink(qualified)
        return DISPLAY_SINKS.get(f".{func.attr}")

    def _call_name(self, name: str, node: ast.Call, args: Labels, own: Labels) -> Labels:
        callee = self._load(name, bare=False)
        if callee:
            # a function or lambda that gives random values; what it does with its arguments is
            # not known
            self._escape(args)
            return callee | args
        qualified = self._qualified(name)
        if qualified is not None:
            return self._call_library(qualified, node, args, own)
        if name in PURE_BUILTINS and self._frame_of(name) is None:
            return _derived(args) if name in STATISTICS else args
        # a function or class of the notebook, or unknown: it may keep, save or fit what it gets,
        # and its body may read random names of the module
        self._escape(args)
        for read in self._reads_through(name):
            self._escape(self.taint.get(read, _NONE))
        return args

    def _call_library(self, qualified: str, node: ast.Call, args: Labels, own: Labels) -> Labels:
        attr = qualified.rpartition(".")[2]
        if own and attr in IN_PLACE_DRAWS:
            target = root_name(node.args[0]) if node.args else None
            self._store_into(target, own | args)  # random.shuffle(x): x now holds the draw
            return _NONE
        if own:
            return args  # a draw: new random values, computed from its arguments
        top = qualified.split(".", 1)[0]
        if top in PURE_LIBRARIES and not is_writer(attr):
            if top == "numpy" and attr in NUMPY_IN_PLACE and node.args:
                self._store_into(root_name(node.args[0]), args)
            return _derived(args) if attr in STATISTICS else args
        self._escape(args)  # scikit-learn, torch, a writer...: it may fit, keep or save it
        return args

    def _call_method(self, func: ast.Attribute, node: ast.Call, args: Labels) -> Labels:
        base = func.value
        receiver = (
            self._load(base.id, bare=False) if isinstance(base, ast.Name) else self._value(base)
        )
        method = func.attr
        if method in FIT_METHODS or is_writer(method):
            self._escape(receiver | args)  # a model fitted on random values, or written to a file
            return receiver | args
        if method in IN_PLACE_DRAWS and receiver and node.args:
            self._store_into(root_name(node.args[0]), receiver | args)  # rng.shuffle(x)
            return _NONE
        if _random(receiver) or (receiver and not args):
            # a method of a random value gives a random value (`x.mean()`: a statistic of it)
            return _derived(receiver | args) if method in STATISTICS else receiver | args
        if not args or isinstance(base, ast.Constant):
            return receiver | args  # `"{}".format(x)`, `", ".join(xs)`
        if method in INFERENCE_METHODS:
            # a fitted model's answer for random inputs (`model.score(X, y)`: a statistic)
            return _derived(args) if method == "score" else args
        if method in MUTATING_METHODS:
            self._store_into(root_name(base), args)  # items.append(x)
            return receiver | args
        # another object's method (or a method of a caller's object) may keep it:
        # `G.add_edge(u, v)`, `env.step(action)`, `memory.push(x)`
        self._escape(args)
        return receiver | args
