"""Find where a notebook fits its model, and the two slices on either side (issue #14, item 1).

Pure analysis of the planned statements, no rendering: which objects get fitted (a table of
APIs, `nb2prod/data/fit_apis.json`, tells estimators, searches, pipelines and statsmodels
specifications apart), what they are fitted on, which column is the target, which statements
split the rows, and two slices of statement indices:

- `train`: what fitting and evaluating need (the split, the fit, the metrics);
- `predict`: what turns a raw input frame (the frame the data step reads) into the matrix the
  fitted objects take, the prediction calls, and the business statements that consume them,
  with the notebook's test-side names mapped to the slice's input (`X_test` -> `X`) and the
  statements that would need the target edited or left out.

When the predict slice cannot be made (the target feeds a feature, the model is fitted in a
comprehension...), a `Problem` names the statement (cell and line) and `predict` is empty.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache, cached_property
from importlib import resources
from typing import Protocol

from nb2prod.analysis.imports import carry_modules, qualify
from nb2prod.analysis.statements import Statement
from nb2prod.analysis.syntax import dotted_name
from nb2prod.convert.roles import config_literal
from nb2prod.core.vocabulary import Role

_Test = Callable[[ast.AST], bool]


class ProblemKind(StrEnum):
    """Why the predict slice could not be made, or what a reader of it should know."""

    FIT_IN_LOOP = "fit-in-loop"  # fitted in a comprehension: no name keeps the fit
    LAST_FIT_IN_LOOP = "last-fit-in-loop"  # notes: the loop's last fit is the model
    FIT_IN_FUNCTION = "fit-in-function"  # the fitted object never reaches module level
    UNNAMED_FIT = "unnamed-fit"  # `StandardScaler().fit_transform(X)`: nothing to save
    TARGET_IN_FEATURES = "target-in-features"  # a feature is computed from the label
    TARGET_BY_POSITION = "target-by-position"  # `df.iloc[:, -1]`: features shift without it
    READS_TRAINING_DATA = "reads-training-data"  # a scoring statement reads the training rows
    CANNOT_SCORE_NEW_ROWS = "cannot-score-new-rows"  # DBSCAN, TSNE: no predict or transform
    CROSS_VALIDATION_ONLY = "cross-validation-only"  # models fitted only inside cross_val_*
    NO_INPUT = "no-input"  # no statement produces the rows the matrix is built from
    SEVERAL_MODELS = "several-models"  # notes: the last one fitted is the model
    REFIT = "refit"  # the last fit of the same object is the one saved
    SEVERAL_INPUTS = "several-inputs"  # the matrix joins several frames the data step reads
    BATCH_STATISTIC = "batch-statistic"  # a statistic over the rows scored, not the training rows


# The kinds that leave `predict` empty; the others are notes for the report.
BLOCKING = frozenset(
    {
        ProblemKind.FIT_IN_LOOP,
        ProblemKind.FIT_IN_FUNCTION,
        ProblemKind.UNNAMED_FIT,
        ProblemKind.TARGET_IN_FEATURES,
        ProblemKind.TARGET_BY_POSITION,
        ProblemKind.READS_TRAINING_DATA,
        ProblemKind.CANNOT_SCORE_NEW_ROWS,
        ProblemKind.CROSS_VALIDATION_ONLY,
        ProblemKind.NO_INPUT,
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    statement: int  # index into the plan's statements
    cell: int
    line: int  # 1-based, in the cell
    detail: str

    @property
    def blocking(self) -> bool:
        return self.kind in BLOCKING

    def __str__(self) -> str:
        return f"cell {self.cell}, line {self.line}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Fitted:
    """An object the notebook fits, as the artifact saves it."""

    name: str  # the variable holding it after the fit (`model`, `scaler`, `results`)
    api: str  # what built it, qualified (`sklearn.ensemble.GradientBoostingClassifier`); "" unknown
    kind: str  # model | transformer | clusterer | search | estimator
    built: int | None  # the statement that constructs it, when apart from the fit
    fit: int  # the statement that fits it
    method: str  # fit | fit_transform | fit_predict | ... | the training function's name
    inputs: tuple[str, ...]  # what the fit reads, as written (`X_train`, `y_train`)

    @property
    def library(self) -> str:
        return self.api.split(".", 1)[0] if self.api else ""


@dataclass(frozen=True, slots=True)
class Target:
    """How the label is taken from the raw data."""

    name: str  # the variable the fit reads it from, before the split (`y`)
    statement: int  # where it is taken (`y = df["default"]`)
    columns: tuple[str, ...]  # the raw frame's column(s) it comes from; () when not a column
    frame: str | None  # the frame it is taken from (`df_feat`)


@dataclass(frozen=True, slots=True)
class RawInput:
    """The rows the predict slice starts from: what the data step reads."""

    name: str  # the variable the slice reads as its input (`df`)
    statement: int  # the statement that reads it (kept in `train`, replaced in `predict`)


@dataclass(frozen=True, slots=True)
class Prediction:
    """How the final fitted object is applied in the predict slice."""

    fitted: str
    method: str  # predict | predict_proba | decision_function | transform | ...
    statement: int | None  # None: the notebook never scores held-out rows; predict applies it
    matrix: str  # the input as the predict slice names it (after `renames`)
    output: str | None  # the name the prediction is bound to


@dataclass(frozen=True, slots=True)
class Edit:
    """A statement of the predict slice that runs changed (the change keeps no comments)."""

    statement: int
    code: str
    why: str


@dataclass(frozen=True, slots=True)
class Statistic:
    """A statistic over the rows a predict statement scores (`df["x"].median()`): training
    records its value, so `predict` gives the same result on any batch."""

    statement: int
    code: str  # the expression, as `ast.unparse` writes it
    # where it is in the statement's tree: lineno, col_offset, end_lineno, end_col_offset
    position: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class FitBoundary:
    fitted: tuple[Fitted, ...]  # in the order they are fitted; the model (the last) applies last
    target: Target | None
    split: tuple[int, ...]  # statements that split rows into training and held-out parts
    inputs: tuple[RawInput, ...]  # what `predict` takes (one frame, in the common case)
    renames: tuple[tuple[str, str], ...]  # held-out name -> the predict slice's name (X_test, X)
    predictions: tuple[Prediction, ...]
    train: tuple[int, ...]  # statements to fit and evaluate, in page order
    metrics: tuple[int, ...]  # the statements of `train` computing metrics
    # statements to score new rows, in page order; empty when the model takes the input as it is
    # (`predictions` says how) or when a blocking problem says why (then `predictions` is empty)
    predict: tuple[int, ...]
    business: tuple[int, ...]  # the statements of `predict` that consume predictions
    edits: tuple[Edit, ...] = ()
    problems: tuple[Problem, ...] = ()
    statistics: tuple[Statistic, ...] = ()  # in statements of `predict`, in page order
    # statements of `train` that bind an object fitted on the spot to the name it is saved by
    namings: tuple[Edit, ...] = ()
    # names predict selects columns with that are computed from the rows (`cols =
    # X.columns[mask]`, then `X[cols]`): (name, the statement that binds it last). Train records
    # each after that statement; predict reads it back instead of computing it from the batch
    learned: tuple[tuple[str, int], ...] = ()

    @property
    def model(self) -> Fitted | None:
        return self.fitted[-1] if self.fitted else None

    @property
    def predictable(self) -> bool:
        return bool(self.predictions) and not any(p.blocking for p in self.problems)

    @property
    def blocking(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.blocking)


# ---------------------------------------------------------------------------------------------
# The API table


@dataclass(frozen=True, slots=True)
class _Apis:
    fit_methods: Mapping[str, str]
    apply_methods: Mapping[str, str]
    apply_in_place: Mapping[str, str]
    fit_returns_result: tuple[str, ...]
    returns_self: frozenset[str]
    model_specs: Mapping[str, str]
    training_functions: Mapping[str, int]
    dataset_constructors: Mapping[str, str]
    pipelines: frozenset[str]
    searches: frozenset[str]
    kind_by_module: Mapping[str, str]
    cannot_score_new_rows: frozenset[str]
    splitters: Mapping[str, str]
    row_selections: frozenset[str]
    metric_functions: tuple[str, ...]
    metric_methods: frozenset[str]
    result_metrics: frozenset[str]
    evaluation_functions: frozenset[str]
    generators: frozenset[str]
    setup_calls: tuple[str, ...]
    bundle_loaders: tuple[str, ...]
    bundle_fields: frozenset[str]
    frame_attributes: frozenset[str]
    target_drops: frozenset[str]
    batch_methods: frozenset[str]
    batch_functions: frozenset[str]


@cache
def apis() -> _Apis:
    """The table of fitting APIs (nb2prod/data/fit_apis.json)."""
    raw = json.loads(resources.files("nb2prod.data").joinpath("fit_apis.json").read_text("utf-8"))
    return _Apis(
        fit_methods=dict(raw["fit_methods"]),
        apply_methods=dict(raw["apply_methods"]),
        apply_in_place=dict(raw["apply_in_place"]),
        fit_returns_result=tuple(raw["fit_returns_result"]),
        returns_self=frozenset(raw["returns_self"]),
        model_specs=dict(raw["model_specs"]),
        training_functions=dict(raw["training_functions"]),
        dataset_constructors=dict(raw["dataset_constructors"]),
        pipelines=frozenset(raw["pipelines"]),
        searches=frozenset(raw["searches"]),
        kind_by_module=dict(raw["kind_by_module"]),
        cannot_score_new_rows=frozenset(raw["cannot_score_new_rows"]),
        splitters=dict(raw["splitters"]),
        row_selections=frozenset(raw["row_selections"]),
        metric_functions=tuple(raw["metric_functions"]),
        metric_methods=frozenset(raw["metric_methods"]),
        result_metrics=frozenset(raw["result_metrics"]),
        evaluation_functions=frozenset(raw["evaluation_functions"]),
        generators=frozenset(raw["generators"]),
        setup_calls=tuple(raw["setup_calls"]),
        bundle_loaders=tuple(raw["bundle_loaders"]),
        bundle_fields=frozenset(raw["bundle_fields"]),
        frame_attributes=frozenset(raw["frame_attributes"]),
        target_drops=frozenset(raw["target_drops"]),
        batch_methods=frozenset(raw["batch_statistics"]["methods"]),
        batch_functions=frozenset(raw["batch_statistics"]["functions"]),
    )


def _prefixed(name: str, prefixes: Sequence[str]) -> str | None:
    return next((p for p in prefixes if name.startswith(p)), None)


# ---------------------------------------------------------------------------------------------
# What each statement does


@dataclass(frozen=True, slots=True)
class _Call:
    node: ast.Call
    qualified: str | None  # `pandas.read_csv`, through the notebook's imports
    method: str | None  # the attribute called (`fit` of `model.fit`)
    receiver: ast.expr | None  # the object whose method it is
    in_loop: bool  # in a for/while body or a comprehension
    in_function: bool
    in_comprehension: bool = False  # its names end with the comprehension


@dataclass(frozen=True, slots=True)
class _Facts:
    statement: Statement
    role: Role
    binds: frozenset[str]  # names bound anew
    changes: frozenset[str]  # names changed in place (a fitted estimator included)
    reads: tuple[str, ...]
    deferred: tuple[str, ...]  # read by function bodies, when called
    calls: tuple[_Call, ...]
    is_import: bool
    is_definition: bool
    is_literal: bool  # NAME = literal

    @property
    def node(self) -> ast.stmt | None:
        body = self.statement.tree.body
        return body[0] if len(body) == 1 else None


def _calls(tree: ast.Module, modules: Mapping[str, str]) -> tuple[_Call, ...]:
    """Every call, with whether it runs in a loop or a function body, in source order."""
    found: list[_Call] = []
    # (node, in a loop, in a function, in a comprehension)
    stack: list[tuple[ast.AST, bool, bool, bool]] = [
        (n, False, False, False) for n in reversed(tree.body)
    ]
    table = dict(modules)
    while stack:
        node, in_loop, in_function, in_comprehension = stack.pop()
        if isinstance(node, ast.Call):
            func = node.func
            dotted = dotted_name(func)
            method = func.attr if isinstance(func, ast.Attribute) else None
            receiver = func.value if isinstance(func, ast.Attribute) else None
            qualified = (qualify(table, dotted) if dotted else None) or None
            found.append(
                _Call(node, qualified, method, receiver, in_loop, in_function, in_comprehension)
            )
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend((c, in_loop, True, in_comprehension) for c in reversed(children))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            head = [node.iter] if isinstance(node, (ast.For, ast.AsyncFor)) else [node.test]
            stack.extend((c, in_loop, in_function, in_comprehension) for c in reversed(node.orelse))
            stack.extend((c, True, in_function, in_comprehension) for c in reversed(node.body))
            stack.extend((c, in_loop, in_function, in_comprehension) for c in head)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            first = node.generators[0].iter
            stack.extend((c, True, in_function, True) for c in reversed(children) if c is not first)
            stack.append((first, in_loop, in_function, in_comprehension))
        else:
            stack.extend((c, in_loop, in_function, in_comprehension) for c in reversed(children))
    found.sort(key=lambda c: (c.node.lineno, c.node.col_offset))
    return tuple(found)


def _facts(statements: Sequence[Statement], roles: Sequence[Role]) -> list[_Facts]:
    table = apis()
    modules: dict[str, str] = {}
    out: list[_Facts] = []
    for st, role in zip(statements, roles, strict=True):
        sym = st.symbols
        body = st.tree.body
        calls = _calls(st.tree, modules)
        receivers = [
            _unwrapped(c.receiver, table)
            for c in calls
            if c.method in table.fit_methods and c.receiver is not None and not c.in_function
        ]
        fitted_receivers = {
            r.id for r in receivers if isinstance(r, ast.Name) and r.id not in modules
        }
        reads = dict.fromkeys(r.name for r in sym.uses)
        reads.update(dict.fromkeys(m.name for m in sym.mutations))
        out.append(
            _Facts(
                statement=st,
                role=role,
                binds=frozenset(r.name for r in sym.defines),
                changes=frozenset(m.name for m in sym.mutations) | fitted_receivers,
                reads=tuple(reads),
                deferred=tuple(dict.fromkeys(r.name for r in sym.deferred_uses)),
                calls=calls,
                is_import=bool(body)
                and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in body),
                is_definition=bool(body)
                and all(
                    isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                    for n in body
                ),
                is_literal=config_literal(st.tree) is not None,
            )
        )
        carry_modules(modules, sym)
    return out


class _Flow:
    """Reaching definitions: which statements before a point bind or change a name."""

    def __init__(self, facts: Sequence[_Facts]) -> None:
        self.facts = facts
        self._writes: dict[str, list[tuple[int, bool]]] = {}  # name -> (index, binds anew)
        for index, f in enumerate(facts):
            for name in f.binds | f.changes:
                self._writes.setdefault(name, []).append((index, name in f.binds))
        self._positions = {n: [i for i, _ in w] for n, w in self._writes.items()}

    def writers(self, name: str, before: int) -> list[int]:
        """The statements, latest first, whose effects on `name` reach statement `before`:
        the last that binds it, and those after it that change it in place."""
        writes = self._writes.get(name)
        if not writes:
            return []
        out: list[int] = []
        for index, binds in reversed(writes[: bisect_left(self._positions[name], before)]):
            out.append(index)
            if binds:
                break
        return out

    def binder(self, name: str, before: int) -> int | None:
        """The last statement before `before` that binds `name` anew."""
        writes = self._writes.get(name)
        if not writes:
            return None
        for index, binds in reversed(writes[: bisect_left(self._positions[name], before)]):
            if binds:
                return index
        return None

    def ancestors(self, seeds: Sequence[int]) -> set[int]:
        """Every statement the seeds depend on (themselves included), imports left out."""
        seen: set[int] = set()
        work: list[tuple[str, int]] = []
        for seed in seeds:
            if seed not in seen:
                seen.add(seed)
                work.extend(self._needs(seed, seed))
        while work:
            name, at = work.pop()
            for w in self.writers(name, at):
                if w in seen or self.facts[w].is_import:
                    continue
                seen.add(w)
                work.extend(self._needs(w, at))
        return seen

    def _needs(self, index: int, asked_at: int) -> list[tuple[str, int]]:
        f = self.facts[index]
        needs = [(n, index) for n in f.reads]
        # a function's body reads globals when it is called, not when it is defined
        needs += [(n, asked_at if f.is_definition else index) for n in f.deferred]
        return needs


# ---------------------------------------------------------------------------------------------
# Fits


@dataclass(frozen=True, slots=True)
class _Fit:
    statement: int
    call: _Call
    method: str
    name: str | None  # the fitted object's variable; None: not bound
    aliases: tuple[str, ...]  # other names of the same fitted object (`model` of `m = model.fit()`)
    api: str
    built: int | None
    constructor: ast.Call | None
    matrix: ast.expr | None  # what the fit learns from (X_train, a formula's data)
    target: ast.expr | None  # the label it learns (y_train), if any
    formula: str | None  # a statsmodels formula's left-hand side
    in_loop: bool
    in_function: bool
    # `Xr = PCA(2).fit_transform(X)`: the object had no name; `name` is one given here, which
    # train binds (FitBoundary.namings) so that the artifact can save it
    named_here: bool = False


def _unwrapped(receiver: ast.expr, table: _Apis) -> ast.expr:
    """`clf.set_params(C=1)` -> `clf`: the object a call that returns itself is made on."""
    while (
        isinstance(receiver, ast.Call)
        and isinstance(receiver.func, ast.Attribute)
        and receiver.func.attr in table.returns_self
    ):
        receiver = receiver.func.value
    return receiver


def _assigned_value(node: ast.stmt | None) -> tuple[str | None, ast.expr | None]:
    """`name = value` -> (name, value); other statements -> (None, value or None)."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return (node.target.id if isinstance(node.target, ast.Name) else None), node.value
    if isinstance(node, ast.Expr):
        return None, node.value
    return None, None


def _first_unpacked(node: ast.stmt | None) -> str | None:
    """`mean, std = gp.predict(X, return_std=True)` -> `mean`: a scoring call that returns a
    tuple gives its prediction first (scikit-learn's `return_std`, `return_cov`)."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, (ast.Tuple, ast.List)) and target.elts:
            first = target.elts[0]
            return first.id if isinstance(first, ast.Name) else None
    return None


def _strip_calls(value: ast.expr) -> ast.expr:
    """`Model(...).fit(X, y).set_params()` -> `Model(...)`: the call that built the object."""
    while (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and isinstance(value.func.value, ast.Call)
    ):
        value = value.func.value
    return value


def _qualified_call(node: ast.expr, modules: Mapping[str, str]) -> str:
    if not isinstance(node, ast.Call):
        return ""
    dotted = dotted_name(node.func)
    if dotted is None:
        return ""
    return qualify(dict(modules), dotted) or ""


def _arg(call: ast.Call, position: int, *keywords: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in keywords:
            return kw.value
    if len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return None


class _Notebook:
    """The statements with their facts, data flow and the import table at each statement."""

    def __init__(self, statements: Sequence[Statement], roles: Sequence[Role]) -> None:
        self.facts = _facts(statements, roles)
        self.flow = _Flow(self.facts)
        self.modules_at: list[dict[str, str]] = []
        modules: dict[str, str] = {}
        for f in self.facts:
            self.modules_at.append(dict(modules))
            carry_modules(modules, f.statement.symbols)
        self.literals: dict[str, object] = {}  # last literal value of each NAME = literal
        self.columns: dict[str, tuple[str, ...]] = {}  # NAME = ["a", "b"]: lists of names
        for f in self.facts:
            lit = config_literal(f.statement.tree)
            if lit is not None and isinstance(lit[1], ast.Constant):
                self.literals[lit[0]] = lit[1].value
            elif lit is not None and isinstance(lit[1], (ast.List, ast.Tuple)):
                texts = [e.value for e in lit[1].elts if isinstance(e, ast.Constant)]
                if len(texts) == len(lit[1].elts) and all(isinstance(t, str) for t in texts):
                    self.columns[lit[0]] = tuple(str(t) for t in texts)

    def where(self, index: int, node: ast.AST | None = None) -> tuple[int, int]:
        st = self.facts[index].statement
        line = st.line
        body = st.tree.body
        if node is not None and body and hasattr(node, "lineno"):
            line += max(0, int(node.lineno) - body[0].lineno)
        return st.cell, line

    def problem(
        self, kind: ProblemKind, index: int, detail: str, node: ast.AST | None = None
    ) -> Problem:
        cell, line = self.where(index, node)
        return Problem(kind, index, cell, line, detail)

    def qualified(self, index: int, node: ast.expr) -> str:
        return _qualified_call(node, self.modules_at[index])

    def is_module(self, index: int, name: str) -> bool:
        return name in self.modules_at[index]


def _fits(nb: _Notebook) -> list[_Fit]:
    table = apis()
    fits: list[_Fit] = []
    trainers: dict[str, _Trainer] = {}
    for index, f in enumerate(nb.facts):
        bound, value = _assigned_value(f.node)
        for call in f.calls:
            fit = _fit_of(nb, index, call, bound if value is call.node else None, table)
            if fit is not None:
                fits.append(fit)
            elif (
                isinstance(call.node.func, ast.Name)
                and call.node.func.id in trainers
                and not call.in_function
            ):
                trainer = trainers[call.node.func.id]
                fits.append(trainer.fit(index, call, bound if value is call.node else None))
        node = f.node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            made = _trainer(nb, index, node, [x for x in fits if x.statement == index])
            if made is not None:
                trainers[node.name] = made
            else:
                trainers.pop(node.name, None)
    return _named(nb, fits, table)


def _named(nb: _Notebook, fits: list[_Fit], table: _Apis) -> list[_Fit]:
    """Fits of an object made on the spot (`Xr = PCA(2).fit_transform(X)`) get a name, so
    that train can keep the object and predict apply it to new rows (`pca.transform(X)`): the
    class's name in snake case, or, when the notebook uses that name, the output's name
    before it (`Xr_pca`). Only at module level, outside loops, for a fit whose result has an
    apply method (fit_transform, fit_predict)."""
    taken = {n for f in nb.facts for n in (*f.binds, *f.reads, *f.changes)}
    taken |= {n for modules in nb.modules_at for n in modules}
    named: list[_Fit] = []
    for fit in fits:
        # no name, yet a constructor: the fit's receiver is the call that built the object
        if (
            fit.name is not None
            or fit.in_loop
            or fit.in_function
            or fit.constructor is None
            or fit.method not in table.apply_in_place
        ):
            named.append(fit)
            continue
        bound, value = _assigned_value(nb.facts[fit.statement].node)
        func = fit.constructor.func
        cls = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if not cls[:1].isupper():
            named.append(fit)  # `make_pipeline(...)`: a function's result, no class to name it by
            continue
        base = _snake(cls)
        choices = [base, f"{bound}_{base}"] if bound and value is fit.call.node else [base]
        name = next((c for c in choices if c not in taken), None)
        if name is None:
            named.append(fit)
            continue
        taken.add(name)
        named.append(replace(fit, name=name, named_here=True))
    return named


def _snake(name: str) -> str:
    """`StandardScaler` -> `standard_scaler`, `PCA` -> `pca`, `TfidfVectorizer` ->
    `tfidf_vectorizer`."""
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words).lower()


@dataclass(frozen=True, slots=True)
class _Trainer:
    """A function that fits a model and returns it: `model = train(X_train, y_train)` fits."""

    name: str
    api: str
    matrix: tuple[int, str] | None  # the parameter (position, name) the fit learns from
    target: tuple[int, str] | None

    def fit(self, index: int, call: _Call, bound: str | None) -> _Fit:
        def argument(param: tuple[int, str] | None) -> ast.expr | None:
            return _arg(call.node, param[0], param[1]) if param is not None else None

        return _Fit(
            index,
            call,
            self.name,
            bound,
            (),
            self.api,
            None,
            None,
            argument(self.matrix),
            argument(self.target),
            None,
            call.in_loop,
            call.in_function,
        )


def _trainer(
    nb: _Notebook, index: int, node: ast.FunctionDef | ast.AsyncFunctionDef, inner: list[_Fit]
) -> _Trainer | None:
    """The function as a trainer, when it returns what one of its fits fitted."""
    params = [a.arg for a in node.args.posonlyargs + node.args.args]
    returned = {
        r.value.id
        for r in ast.walk(node)
        if isinstance(r, ast.Return) and isinstance(r.value, ast.Name)
    }
    returned_calls = {
        id(r.value) for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None
    }
    for fit in inner:
        receiver = fit.call.receiver
        local = receiver.id if isinstance(receiver, ast.Name) else None
        kept = (local in returned and fit.method == "fit") or id(fit.call.node) in returned_calls
        if not kept:
            continue
        api = ""
        for sub in ast.walk(node):  # `model = LogisticRegression()` in the body
            if (
                isinstance(sub, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == local for t in sub.targets)
                and isinstance(sub.value, ast.Call)
            ):
                api = nb.qualified(index, sub.value)
        if fit.constructor is not None and not api:
            api = nb.qualified(index, fit.constructor)

        def param(expr: ast.expr | None) -> tuple[int, str] | None:
            root = _root(expr) if expr is not None else None
            if root is not None and root.id in params:
                return params.index(root.id), root.id
            return None

        return _Trainer(node.name, api, param(fit.matrix), param(fit.target))
    return None


def _fit_of(nb: _Notebook, index: int, call: _Call, bound: str | None, table: _Apis) -> _Fit | None:
    qualified = call.qualified or ""
    if qualified in table.training_functions:  # xgboost.train(params, dtrain)
        data = _arg(call.node, table.training_functions[qualified])
        return _Fit(
            index,
            call,
            qualified.rsplit(".", 1)[1],
            bound,
            (),
            qualified,
            None,
            call.node,
            data,
            None,
            None,
            call.in_loop,
            call.in_function,
        )
    method = call.method
    if method is None or method not in table.fit_methods or call.receiver is None:
        return None
    receiver = _unwrapped(call.receiver, table)
    receiver_name = receiver.id if isinstance(receiver, ast.Name) else None
    if receiver_name is not None and nb.is_module(index, receiver_name):
        return None  # `stats.norm.fit(data)`: a library function, nothing kept
    if receiver_name is None and dotted_name(receiver) is not None:
        return None  # `scipy.stats.norm.fit(data)` or an attribute of an object
    constructor: ast.Call | None = None
    built: int | None = None
    if isinstance(receiver, ast.Call):
        stripped = _strip_calls(receiver)
        constructor = stripped if isinstance(stripped, ast.Call) else None
    elif receiver_name is not None:
        built = nb.flow.binder(receiver_name, index)
        if built is not None:
            name, value = _assigned_value(nb.facts[built].node)
            if name == receiver_name and value is not None:
                stripped = _strip_calls(value)
                constructor = stripped if isinstance(stripped, ast.Call) else None
    api = nb.qualified(built if built is not None else index, constructor) if constructor else ""
    result = _prefixed(api, table.fit_returns_result) is not None
    if table.fit_methods[method] == "fitted":
        # `model.fit(X, y)` returns model itself (bound or not); a statsmodels fit, its result
        name = bound if result else receiver_name or bound
        aliases = (bound,) if bound and name != bound and bound != "_" else ()
    else:
        name, aliases = receiver_name, ()
    matrix = _arg(call.node, 0, "X", "x", "df")
    target = _arg(call.node, 1, "y")
    formula: str | None = None
    spec = _prefixed(api, tuple(table.model_specs))
    if spec is not None and constructor is not None:
        if table.model_specs[spec] == "formula":
            text = _arg(constructor, 0, "formula")
            formula = _formula(nb, text)
            matrix, target = _arg(constructor, 1, "data"), None
        else:
            target, matrix = _arg(constructor, 0, "endog"), _arg(constructor, 1, "exog")
    return _Fit(
        index,
        call,
        method,
        name,
        aliases,
        api,
        built if built != index else None,
        constructor,
        matrix,
        target,
        formula,
        call.in_loop,
        call.in_function,
    )


def _formula(nb: _Notebook, node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.Name) and isinstance(nb.literals.get(node.id), str):
        text = str(nb.literals[node.id])
    else:
        return None
    return text.split("~", 1)[0].strip() if "~" in text else None


def _formula_columns(lhs: str) -> tuple[str, ...]:
    try:
        tree = ast.parse(lhs, mode="eval")
    except SyntaxError:
        return (lhs,)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return tuple(
        dict.fromkeys(
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called
        )
    )


def _kind(nb: _Notebook, fit: _Fit, applied: set[str]) -> str:
    table = apis()
    api = fit.api
    if api in table.searches:
        return "search"
    if _prefixed(api, tuple(table.model_specs)) or api in table.training_functions:
        return "model"
    if api in table.pipelines and fit.constructor is not None:
        last = _last_step(fit.constructor)
        if last is not None:
            api = nb.qualified(fit.built if fit.built is not None else fit.statement, last)
    module = _prefixed(api, tuple(table.kind_by_module))
    if module is not None:
        return table.kind_by_module[module]
    if "predict" in applied or (fit.method == "fit_predict" and fit.target is not None):
        return "model"
    if "transform" in applied or fit.method == "fit_transform":
        return "transformer"
    return "model"


def _last_step(constructor: ast.Call) -> ast.expr | None:
    """The final estimator of `make_pipeline(a, b)` or `Pipeline([("a", a), ("b", b)])`."""
    args = [a for a in constructor.args if not isinstance(a, ast.Starred)]
    steps = _arg(constructor, 0, "steps")
    if isinstance(steps, ast.List) and steps.elts:
        last = steps.elts[-1]
        if isinstance(last, ast.Tuple) and len(last.elts) >= 2:
            return last.elts[1]
    return args[-1] if args else None


# ---------------------------------------------------------------------------------------------
# The boundary


def find_fit_boundary(statements: Sequence[Statement], roles: Sequence[Role]) -> FitBoundary | None:
    """The fit boundary of a notebook's statements (a plan's, in order, with their roles);
    None when nothing is fitted. Indices in the result are positions in `statements`."""
    nb = _Notebook(statements, roles)
    fits = _fits(nb)
    table = apis()
    evaluations = [
        i
        for i, f in enumerate(nb.facts)
        if any(c.qualified in table.evaluation_functions and not c.in_function for c in f.calls)
    ]
    if not fits:
        if not evaluations:
            return None
        problem = nb.problem(
            ProblemKind.CROSS_VALIDATION_ONLY,
            evaluations[0],
            "models are fitted only inside cross-validation: nothing fitted to save",
        )
        train = tuple(sorted(nb.flow.ancestors(evaluations)))
        return FitBoundary(
            (), None, (), (), (), (), train, tuple(evaluations), (), (), (), (problem,)
        )
    return _Boundary(nb, fits).result()


class _PlannedLike(Protocol):
    """What `boundary_of_plan` reads of a planned statement (`convert.plan.PlannedStatement`)."""

    @property
    def statement(self) -> Statement: ...

    @property
    def role(self) -> Role: ...


class _PlanLike(Protocol):
    @property
    def statements(self) -> Sequence[_PlannedLike]: ...


def boundary_of_plan(plan: _PlanLike) -> FitBoundary | None:
    """`find_fit_boundary` of a `Plan`: indices are positions in `plan.statements`."""
    return find_fit_boundary(
        [p.statement for p in plan.statements], [p.role for p in plan.statements]
    )


@dataclass
class _Slice:
    """A predict slice in the making."""

    included: set[int] = field(default_factory=set)
    renames: dict[str, str] = field(default_factory=dict)
    inputs: dict[int, str] = field(default_factory=dict)  # source statement -> name read
    edits: dict[int, Edit] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    train_side: list[int] = field(default_factory=list)  # statements reading training rows
    held_out: list[str] = field(default_factory=list)  # held-out parts of a split it reads
    fitted_used: set[str] = field(default_factory=set)  # fitted objects it takes from the artifact
    splits_used: set[int] = field(default_factory=set)  # hand-written splits it maps through
    learned: dict[str, int] = field(default_factory=dict)  # FitBoundary.learned
    # building the fit's own matrix for new rows: the training part stands for the whole
    fit_side: bool = False


class _Boundary:
    def __init__(self, nb: _Notebook, fits: list[_Fit]) -> None:
        self.nb = nb
        self.fits = fits
        self.table = apis()
        self.problems: list[Problem] = []
        self.splits = self._splits()
        self.by_position = False  # the label is taken by its position (`df.iloc[:, -1]`)

    # the final model and the objects fitted before it that feed it -------------------------

    def result(self) -> FitBoundary:
        nb = self.nb
        top = [f for f in self.fits if not f.in_function]
        chosen = self._choose(top)
        if chosen is None:
            return self._unplaceable()
        final, chain = chosen
        self.final = final
        self.chain = chain
        # every object fitted at module level comes from the artifact once fitted
        self.fit_of: dict[str, list[int]] = {}
        for fit in top:
            for name in (fit.name, *fit.aliases):
                if name is not None:
                    self.fit_of.setdefault(name, []).append(fit.statement)
        self.target = self._target()
        self.keys = self._target_keys()
        self.trained_on = self._training_bindings()
        self.tainted = self._taint()
        sources = self._sources()
        predictions, slice_ = self._predict(sources)
        business = self._business(predictions, slice_, sources)
        self._check_inputs(predictions, slice_)
        metrics, train = self._train(predictions)
        # the chain, and the other fitted objects scoring needs (a label encoder's inverse)
        used = [
            f
            for f in top
            if f.name in slice_.fitted_used
            and f not in chain
            and f.statement == max(g.statement for g in top if g.name == f.name)
        ]
        chain = [*sorted([*chain[:-1], *used], key=lambda f: f.statement), final]
        self.chain = chain
        applied = self._applied_methods()
        fitted = tuple(
            Fitted(
                fit.name or "",
                fit.api,
                _kind(nb, fit, applied.get(fit.name or "", set())),
                fit.built,
                fit.statement,
                fit.method,
                tuple(ast.unparse(e) for e in (fit.matrix, fit.target) if e is not None),
            )
            for fit in chain
        )
        self._check_final(fitted[-1])
        self._check_position(slice_)
        problems = self.problems + slice_.problems
        predict = sorted(slice_.included)
        blocked = any(p.blocking for p in problems)
        statistics: list[Statistic] = []
        if not blocked:
            notes, statistics = self._batch_statistics(predict)
            problems += notes
        return FitBoundary(
            fitted=fitted,
            target=self.target,
            split=tuple(
                sorted(
                    set(self.splits)
                    | {i for (i, _), (_, held) in self._row_splits.items() if not held}
                    | slice_.splits_used
                )
            ),
            inputs=tuple(RawInput(n, i) for i, n in sorted(slice_.inputs.items())),
            renames=tuple(sorted(slice_.renames.items())),
            predictions=() if blocked else tuple(predictions),
            train=tuple(sorted(train)),
            metrics=tuple(sorted(metrics)),
            predict=() if blocked else tuple(predict),
            business=() if blocked else tuple(sorted(business)),
            edits=() if blocked else tuple(e for _, e in sorted(slice_.edits.items())),
            problems=tuple(sorted(_unique(problems), key=lambda p: (p.statement, p.line))),
            statistics=tuple(statistics),
            namings=tuple(self._naming(f) for f in chain if f.named_here),
            learned=() if blocked else tuple(sorted(slice_.learned.items(), key=lambda x: x[1])),
        )

    def _naming(self, fit: _Fit) -> Edit:
        """`Xr = PCA(2).fit_transform(X)` as train runs it: `pca = PCA(2)`, then
        `Xr = pca.fit_transform(X)`."""
        node = self.nb.facts[fit.statement].node
        receiver = fit.call.receiver
        assert node is not None and receiver is not None and fit.name is not None
        call = fit.call.node
        edited = _replace_call(
            node,
            call,
            ast.Call(
                ast.Attribute(ast.Name(fit.name, ast.Load()), fit.method, ast.Load()),
                call.args,
                call.keywords,
            ),
        )
        code = f"{fit.name} = {ast.unparse(receiver)}\n{ast.unparse(edited)}"
        return Edit(
            fit.statement,
            code,
            f"names the {fit.api or 'object'} fitted here: the artifact saves it",
        )

    def _unplaceable(self) -> FitBoundary:
        """Every fit is in a function body, or fits nothing we can name."""
        nb = self.nb
        first = self.fits[-1]
        kind = ProblemKind.FIT_IN_FUNCTION if first.in_function else ProblemKind.UNNAMED_FIT
        detail = (
            "the model is fitted inside a function: the fitted object never reaches module level"
            if first.in_function
            else f"{ast.unparse(first.call.node)[:80]} fits an object no name keeps"
        )
        if first.api in self.table.cannot_score_new_rows:
            kind = ProblemKind.CANNOT_SCORE_NEW_ROWS
            detail = _cannot_score(first.api)
        problem = nb.problem(kind, first.statement, detail, first.call.node)
        # the functions that fit, and the statements calling them
        fitting = {f.statement for f in self.fits}
        names = {n for i in fitting for n in nb.facts[i].binds if nb.facts[i].is_definition}
        callers = [i for i, f in enumerate(nb.facts) if set(f.reads) & names]
        train = nb.flow.ancestors(sorted(fitting | set(callers)))
        return FitBoundary(
            (), None, (), (), (), (), tuple(sorted(train)), (), (), (), (), (problem,)
        )

    def _choose(self, top: list[_Fit]) -> tuple[_Fit, list[_Fit]] | None:
        """The model: the last fit no other fit builds on; and the fits that feed it."""
        nb = self.nb
        # an object fitted on the spot feeds the model; it is never the model itself (the
        # notebook's kernel has no name for it to check predict against)
        named = [f for f in top if f.name is not None and not f.named_here]
        if not named:
            return None
        ancestry = {id(f): nb.flow.ancestors([f.statement]) for f in top}
        # a fit whose statement another fit depends on feeds it (scaler -> model)
        feeds = {
            id(f)
            for f in top
            if any(
                g is not f and g.statement > f.statement and f.statement in ancestry[id(g)]
                for g in top
            )
        }
        # objects fitted on the label itself (a LabelEncoder of y) are not the model
        candidates = [f for f in named if id(f) not in feeds and not self._fits_target(f)]
        if not candidates:
            candidates = [f for f in named if id(f) not in feeds] or named
        models = [f for f in candidates if self._predicts(f)] or candidates
        outside = [f for f in models if not f.in_loop]
        final = (outside or models)[-1]
        if final.in_loop and final.call.in_comprehension:
            self.problems.append(
                nb.problem(
                    ProblemKind.FIT_IN_LOOP,
                    final.statement,
                    f"{final.name or 'the model'} is fitted in a comprehension: no name keeps "
                    "any of its fits once it ends (fit the chosen one in a statement of its own)",
                    final.call.node,
                )
            )
        elif final.in_loop:
            # as with several models fitted one after the other: the last is saved, and said
            self.problems.append(
                nb.problem(
                    ProblemKind.LAST_FIT_IN_LOOP,
                    final.statement,
                    f"{final.name} is fitted in a loop: its last fit, the one the notebook leaves "
                    f"bound to {final.name} after the loop, is saved (to save another, fit the "
                    "chosen one after the loop)",
                    final.call.node,
                )
            )
        others = [f for f in models if _made(f) != _made(final) and not f.in_loop]
        if others:
            names = ", ".join(
                dict.fromkeys(
                    f"{f.name} (cell {nb.where(f.statement)[0]})" for f in others if f.name
                )
            )
            self.problems.append(
                nb.problem(
                    ProblemKind.SEVERAL_MODELS,
                    final.statement,
                    f"several models are fitted; the last, {final.name}, is saved "
                    f"(also fitted: {names})",
                    final.call.node,
                )
            )
        refits = [
            f
            for f in top
            if _made(f) == _made(final) and f is not final and f.statement < final.statement
        ]
        if refits:
            where = ", ".join(f"cell {nb.where(f.statement)[0]}" for f in refits)
            self.problems.append(
                nb.problem(
                    ProblemKind.REFIT,
                    final.statement,
                    f"{final.name} is fitted more than once ({where}); the last fit is saved",
                    final.call.node,
                )
            )
        # what the model learns from: the objects fitted on its way (a scaler before it)
        matrix = _names(final.matrix) if final.matrix is not None else []
        learned = nb.flow.ancestors(
            [w for n in matrix for w in nb.flow.writers(n, final.statement)]
        )
        chain = [
            f
            for f in top
            if f is not final
            and f.statement in learned
            and f.statement <= final.statement
            and not self._fits_target(f)
            and f.name is not None
            and f.name != final.name
        ]
        # the latest fit of each chained object
        latest: dict[str, _Fit] = {}
        for f in chain:
            latest[f.name or ""] = f
        ordered = sorted(latest.values(), key=lambda f: f.statement)
        return final, [*ordered, final]

    def _fits_target(self, fit: _Fit) -> bool:
        """A fit on the label alone (`LabelEncoder().fit(y)`): it learns the target, not features."""
        if fit.target is not None or fit.formula is not None or fit.matrix is None:
            return False
        labels = self._labels
        bound = self.nb.facts[fit.statement].binds
        return bool(set(_names(fit.matrix)) & labels or bound & labels)

    @cached_property
    def _labels(self) -> frozenset[str]:
        """The names any fit learns as its label, followed back through the splits."""
        names: set[str] = set()
        work = [
            (n, f.statement) for f in self.fits if f.target is not None for n in _names(f.target)
        ]
        while work:
            name, at = work.pop()
            if name in names:
                continue
            names.add(name)
            w = self.nb.flow.binder(name, at)
            if w is not None and w in self.splits and name in self.splits[w]:
                work.append((self.splits[w][name][0], w))
        return frozenset(names)

    def _predicts(self, fit: _Fit) -> bool:
        """Whether the fitted object is a predictor (by table, else by what is called on it)."""
        if (fit.target is not None or fit.formula is not None) and not self._selects(fit):
            return True
        if fit.api in self.table.searches or fit.api in self.table.training_functions:
            return True
        names = {fit.name, *fit.aliases}
        return any(
            c.method is not None
            and self.table.apply_methods.get(c.method) == "predict"
            and isinstance(c.receiver, ast.Name)
            and c.receiver.id in names
            for f in self.nb.facts[fit.statement :]
            for c in f.calls
        )

    def _selects(self, fit: _Fit) -> bool:
        """A transformer that learns from the label (`SequentialFeatureSelector(...).fit(X, y)`):
        the label does not make it a predictor. By its module; scikit-learn names the
        predictors of such modules `...Regressor`/`...Classifier` (TransformedTargetRegressor)."""
        module = _prefixed(fit.api, tuple(self.table.kind_by_module))
        if module is None or self.table.kind_by_module[module] != "transformer":
            return False
        return not fit.api.endswith(("Regressor", "Classifier"))

    def _applied_methods(self) -> dict[str, set[str]]:
        applied: dict[str, set[str]] = {}
        for fit in self.chain:
            names = {fit.name, *fit.aliases}
            for f in self.nb.facts[fit.statement :]:
                for c in f.calls:
                    if isinstance(c.receiver, ast.Name) and c.receiver.id in names and c.method:
                        kind = self.table.apply_methods.get(c.method)
                        if kind is not None:
                            applied.setdefault(fit.name or "", set()).add(kind)
        return applied

    def _check_final(self, model: Fitted) -> None:
        if model.api in self.table.cannot_score_new_rows:
            self.problems.append(
                self.nb.problem(
                    ProblemKind.CANNOT_SCORE_NEW_ROWS,
                    model.fit,
                    _cannot_score(model.api),
                    self.final.call.node,
                )
            )

    def _check_inputs(self, predictions: list[Prediction], slice_: _Slice) -> None:
        nb = self.nb
        blocked = any(p.blocking for p in [*self.problems, *slice_.problems])
        if predictions and not slice_.inputs and not blocked:
            self.problems.append(
                nb.problem(
                    ProblemKind.NO_INPUT,
                    self.final.statement,
                    "no statement reads the rows the model is applied to: nothing for predict "
                    "to take new rows in place of",
                    self.final.call.node,
                )
            )
        elif len(slice_.inputs) > 1:
            *_, last = sorted(slice_.inputs)
            names = ", ".join(dict.fromkeys(slice_.inputs.values()))
            self.problems.append(
                nb.problem(
                    ProblemKind.SEVERAL_INPUTS,
                    last,
                    f"scoring reads several inputs ({names}): predict takes each of them",
                )
            )

    def _check_position(self, slice_: _Slice) -> None:
        """Features taken beside a label taken by position shift when new rows lack it."""
        target = self.target
        if not self.by_position or target is None or target.frame is None:
            return
        frame = target.frame
        if frame in slice_.inputs.values() or any(
            frame in self.nb.facts[i].reads for i in slice_.included
        ):
            self.problems.append(
                self.nb.problem(
                    ProblemKind.TARGET_BY_POSITION,
                    target.statement,
                    f"the target is taken from {frame} by position: without it, the features "
                    "taken beside it by position would shift (select the columns by name)",
                )
            )

    # splits ---------------------------------------------------------------------------------

    def _splits(self) -> dict[int, dict[str, tuple[str, bool]]]:
        """Split statements: for each, output name -> (the input it takes rows of, held out?)."""
        found: dict[int, dict[str, tuple[str, bool]]] = {}
        for index, f in enumerate(self.nb.facts):
            looped = _loop_split(f.node)
            if looped:
                found[index] = looped
                continue
            for call in f.calls:
                how = self.table.splitters.get(call.qualified or "")
                if how is None or call.in_function:
                    continue
                node = f.node
                mapping: dict[str, tuple[str, bool]] = {}
                if isinstance(node, ast.Assign) and node.value is call.node:
                    target = node.targets[0]
                    names = target.elts if isinstance(target, (ast.Tuple, ast.List)) else []
                    inputs = [a for a in call.node.args if not isinstance(a, ast.Starred)]
                    for position, out in enumerate(names):
                        if isinstance(out, ast.Name) and position // 2 < len(inputs):
                            source = inputs[position // 2]
                            text = (
                                source.id if isinstance(source, ast.Name) else ast.unparse(source)
                            )
                            mapping[out.id] = (text, position % 2 == 1)
                found[index] = mapping
        return found

    # the target -----------------------------------------------------------------------------

    def _target(self) -> Target | None:
        final = self.final
        if final.formula is not None:
            data = final.matrix
            return Target(
                final.formula,
                final.statement,
                _formula_columns(final.formula),
                data.id if isinstance(data, ast.Name) else None,
            )
        label = final.target
        at = final.statement
        if (
            label is None
            and final.api in self.table.training_functions
            and isinstance(final.matrix, ast.Name)
        ):
            built = self.nb.flow.binder(final.matrix.id, at)
            if built is not None:
                _, value = _assigned_value(self.nb.facts[built].node)
                if isinstance(value, ast.Call):
                    ctor = self.nb.qualified(built, value)
                    key = self.table.dataset_constructors.get(ctor)
                    if key is not None:
                        label, at = _arg(value, 99, key), built
        if label is None:
            return None
        return self._trace_target(label, at)

    def _trace_target(self, expr: ast.expr, at: int) -> Target:
        """Follow the label back through splits and self-updates to where it is taken."""
        nb = self.nb
        seen: set[tuple[str, int]] = set()
        name = _single_name(expr)
        columns, frame = self._columns(expr, at)
        if columns or name is None:
            return Target(ast.unparse(expr), at, columns, frame)
        origin = at
        while (name, origin) not in seen:
            seen.add((name, origin))
            w = nb.flow.binder(name, origin)
            if w is None:
                break
            if w in self.splits and name in self.splits[w]:
                name, origin = self.splits[w][name][0], w
                continue
            element = _bound_element(nb.facts[w].node, name)
            if element is None:
                return Target(name, w, (), None)
            by_position = _positional(element)
            if by_position is not None:
                self.by_position = True
                return Target(name, w, (), by_position)
            columns, frame = self._columns(element, w)
            if columns:
                return Target(name, w, columns, frame)
            inner = _single_name(element)
            reads = {n.id for n in ast.walk(element) if isinstance(n, ast.Name)}
            if name in reads:  # y = y.map(...): taken earlier
                origin = w
                continue
            if inner is not None and inner != name:
                name, origin = inner, w
                continue
            return Target(name, w, (), None)
        return Target(name, origin, (), None)

    def _columns(self, expr: ast.expr, at: int) -> tuple[tuple[str, ...], str | None]:
        """The columns (and the frame) an expression takes: `df["y"]`, `df.y`, `df.pop("y")`."""
        nb = self.nb
        found: list[str] = []
        frame: str | None = None
        for node in ast.walk(expr):
            key: ast.expr | None = None
            owner: ast.expr | None = None
            if isinstance(node, ast.Subscript):
                owner, key = node.value, node.slice
                if (
                    isinstance(owner, ast.Attribute)
                    and owner.attr in ("loc", "iloc", "ix")
                    and isinstance(key, ast.Tuple)
                    and key.elts
                ):
                    owner, key = owner.value, key.elts[-1]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in ("pop", "get") and node.args:
                    owner, key = node.func.value, node.args[0]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if (
                    node.attr not in self.table.frame_attributes
                    and not nb.is_module(at, node.value.id)
                    and not _is_called(expr, node)
                ):
                    found.append(node.attr)
                    frame = frame or node.value.id
                continue
            if owner is None or key is None:
                continue
            keys = self._keys(key)
            if keys:
                found.extend(keys)
                root = _root(owner)
                frame = frame or (root.id if root is not None else None)
        return tuple(dict.fromkeys(found)), frame

    def _keys(self, key: ast.expr) -> list[str]:
        elts = key.elts if isinstance(key, (ast.List, ast.Tuple)) else [key]
        out: list[str] = []
        for e in elts:
            if isinstance(e, ast.Constant) and isinstance(e.value, str):
                out.append(e.value)
            elif isinstance(e, ast.Name) and isinstance(self.nb.literals.get(e.id), str):
                out.append(str(self.nb.literals[e.id]))
        return out

    def _target_keys(self) -> frozenset[str]:
        return frozenset(self.target.columns) if self.target is not None else frozenset()

    def _taint(self) -> dict[int, set[str]]:
        """For each statement, the names it reads whose value derives from the label."""
        nb = self.nb
        target = self.target
        current: set[str] = set()  # names whose latest binding derives from the label
        reads_tainted: dict[int, set[str]] = {}
        for index, f in enumerate(nb.facts):
            hits = {n for n in f.reads if n in current}
            if hits:
                reads_tainted[index] = hits
            if target is not None and index == target.statement:
                if target.name in f.binds:
                    current.add(target.name)
                continue
            if index in self.splits:
                for out, (source, _) in self.splits[index].items():
                    (current.add if source in current else current.discard)(out)
                continue
            if f.is_definition:
                current -= f.binds  # a function mentioning the label is no label value
                continue
            fitted = {fit.name for fit in self.fits if fit.statement == index}
            use = self._target_use(index)
            for name in f.binds:
                element = _bound_element(f.node, name)
                derived = (
                    {n.id for n in ast.walk(element) if isinstance(n, ast.Name)} & current
                    if element is not None
                    else hits
                ) or (use == "reads" and (element is None or self._mentions_target(element)))
                if derived and name not in fitted:
                    current.add(name)
                else:
                    current.discard(name)
        return reads_tainted

    def _training_bindings(self) -> set[tuple[int, str]]:
        """(statement, name) bindings computed from the training part of a split only
        (`X_train = X_train.fillna(X_train.median())`): scoring new rows cannot run them."""
        nb = self.nb
        training: set[str] = set()
        held: set[str] = set()
        out: set[tuple[int, str]] = set()
        fit_statements = {f.statement for f in self.fits}
        for index, f in enumerate(nb.facts):
            parts = self.splits.get(index)
            for name in f.binds:
                row_split = self._row_splits.get((index, name))
                if parts is not None and name in parts:
                    is_training, is_held = not parts[name][1], parts[name][1]
                elif row_split is not None:
                    is_training, is_held = not row_split[1], row_split[1]
                elif index in fit_statements:
                    is_training = is_held = False
                else:
                    element = _bound_element(f.node, name)
                    read = set(_names(element)) if element is not None else set(f.reads)
                    is_held = bool(read & held)
                    is_training = bool(read & training) and not is_held
                (training.add if is_training else training.discard)(name)
                (held.add if is_held else held.discard)(name)
                if is_training:
                    out.add((index, name))
        return out

    def _mentions_target(self, expr: ast.AST) -> bool:
        return any(self._key_matches(n) for n in ast.walk(expr))

    def _key_matches(self, node: ast.AST) -> bool:
        keys = self.keys
        if not keys:
            return False
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value in keys
        if isinstance(node, ast.Name):
            value = self.nb.literals.get(node.id)
            return isinstance(value, str) and value in keys
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return node.attr in keys
        return False

    def _target_use(self, index: int) -> str | None:
        """How a statement uses the target column: None, drop, carry, filter, target-only or
        reads (see `_target_uses`)."""
        uses = self._target_uses(index)
        kinds = {kind for kind, _ in uses}
        if not kinds:
            return None
        node = self.nb.facts[index].node
        if "reads" in kinds:
            if kinds == {"reads", "target-only"} and node and self._only_target_stored(node):
                return "target-only"
            return "reads"
        for kind in ("filter", "target-only", "carry", "drop"):
            if kind in kinds:
                return kind
        return None

    def _target_uses(self, index: int) -> list[tuple[str, ast.AST]]:
        """Each mention of the target column in a statement, with how: "drop" (`drop`, `pop`,
        `del`), "carry" (selected among other columns), "filter" (in a row mask, `dropna`,
        `query`), "target-only" (the label column itself is assigned) or "reads"."""
        node = self.nb.facts[index].node
        if node is None or not self.keys or self.nb.facts[index].is_literal:
            return []  # `TARGET = "y"` names the column, it does not read it
        uses: list[tuple[str, ast.AST]] = []
        dropped: set[int] = set()
        filtered: set[int] = set()
        stored: set[int] = set()
        carried: set[int] = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
                if sub.func.attr in self.table.target_drops:
                    parts = list(sub.args) + [k.value for k in sub.keywords]
                    dropped |= {id(n) for p in parts for n in ast.walk(p)}
                elif sub.func.attr in ("dropna", "query"):
                    parts = list(sub.args) + [k.value for k in sub.keywords]
                    filtered |= {id(n) for p in parts for n in ast.walk(p)}
            elif isinstance(sub, ast.Delete):
                dropped |= {id(n) for t in sub.targets for n in ast.walk(t)}
            elif isinstance(sub, ast.Subscript) and not _is_column_key(sub.slice):
                filtered |= {id(n) for n in ast.walk(sub.slice)}
            elif isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Store):
                if self._mentions_target(sub.slice):
                    stored |= {id(n) for n in ast.walk(sub.slice)}
            elif isinstance(sub, ast.Subscript) and isinstance(sub.slice, (ast.List, ast.Tuple)):
                others = [e for e in sub.slice.elts if not self._key_matches(e)]
                if others and len(others) < len(sub.slice.elts):
                    carried |= {id(e) for e in sub.slice.elts}
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.Constant)
                and isinstance(sub.value, str)
                and sub.value not in self.keys
            ):
                # a query string mentions columns by name
                if id(sub) in filtered and any(
                    re.search(rf"\b{re.escape(k)}\b", sub.value) for k in self.keys
                ):
                    uses.append(("filter", sub))
                continue
            if not self._key_matches(sub) or _is_called(node, sub):
                continue
            if isinstance(sub, ast.Attribute) and self.nb.is_module(index, _root_id(sub)):
                continue
            if id(sub) in dropped:
                uses.append(("drop", sub))
            elif id(sub) in carried:
                uses.append(("carry", sub))
            elif id(sub) in filtered:
                uses.append(("filter", sub))
            elif id(sub) in stored:
                uses.append(("target-only", sub))
            else:
                uses.append(("reads", sub))
        return uses

    def _only_target_stored(self, node: ast.stmt) -> bool:
        """`df["y"] = df["y"].map(...)`: the statement changes only the label column."""
        targets = node.targets if isinstance(node, ast.Assign) else []
        return bool(targets) and all(
            isinstance(t, ast.Subscript) and self._mentions_target(t.slice) for t in targets
        )

    # the raw input --------------------------------------------------------------------------

    def _sources(self) -> dict[int, set[str]]:
        """The statements the data step reads rows with that the model's matrix derives from,
        and the names the predict slice takes from them."""
        nb = self.nb
        fit = self.final
        seed_names = _names(fit.matrix) if fit.matrix is not None else []
        seeds = [
            w
            for n in seed_names
            for w in nb.flow.writers(n, fit.statement)
            if not nb.facts[w].is_import
        ]
        return self._readers(nb.flow.ancestors(seeds) if seeds else set(), made=True)

    def _readers(self, lineage: set[int], *, made: bool) -> dict[int, set[str]]:
        """The first statements of a lineage that read rows (the data step's), and the names
        they bind; with `made`, else the statements no other data feeds (rows made in the
        notebook)."""
        nb = self.nb
        readers = [
            i
            for i in sorted(lineage)
            if nb.facts[i].role is Role.DATA and nb.facts[i].binds and not self._is_setup(i)
        ]
        if not readers and made:
            readers = [
                i
                for i in sorted(lineage)
                if nb.facts[i].binds
                and not self._is_setup(i)
                and not any(
                    w in lineage and not self._is_setup(w)
                    for n in nb.facts[i].reads
                    for w in nb.flow.writers(n, i)
                )
                and i not in self.splits
            ]
        # the first reads: a statement the data step derives from another is not where rows
        # come in (a heading can make a whole section "data")
        ancestry = {i: nb.flow.ancestors([i]) - {i} for i in readers}
        first = [i for i in readers if not any(j in ancestry[i] for j in readers if j != i)]
        sources: dict[int, set[str]] = {i: set(nb.facts[i].binds) for i in first}
        return self._unbundle(sources, lineage)

    def _is_setup(self, index: int) -> bool:
        """A parameter, a definition, a path, a random generator or a splitter: not rows."""
        f = self.nb.facts[index]
        if f.is_literal or f.is_definition:
            return True
        _, value = _assigned_value(f.node)
        if isinstance(value, ast.JoinedStr):
            return True
        if not isinstance(value, ast.Call):
            return False
        called = self.nb.qualified(index, value)
        return called in self.table.generators or bool(_prefixed(called, self.table.setup_calls))

    def _unbundle(self, sources: dict[int, set[str]], lineage: set[int]) -> dict[int, set[str]]:
        """A dataset bundle (`load_iris()`) is no frame: the input is what is taken out of it."""
        nb = self.nb
        out: dict[int, set[str]] = {}
        for index, names in sources.items():
            call = next((c for c in nb.facts[index].calls if c.qualified), None)
            loader = call is not None and _prefixed(call.qualified or "", self.table.bundle_loaders)
            if not loader:
                out[index] = names
                continue
            takers = [
                i
                for i in sorted(lineage)
                if i > index and set(nb.facts[i].reads) & names and self._takes_field(i, names)
            ]
            if not takers:
                out[index] = names
            for i in takers:
                out[i] = set(nb.facts[i].binds)
        return out

    def _takes_field(self, index: int, bundle: set[str]) -> bool:
        node = self.nb.facts[index].node
        _, value = _assigned_value(node)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            # `X, y = iris.data, iris.target`: the rows come in with one of the fields
            return any(self._is_field(v, bundle) for v in node.value.elts)
        return self._is_field(value, bundle)

    def _is_field(self, value: ast.expr | None, bundle: set[str]) -> bool:
        """`bundle.data`, `bundle["frame"]`, `bundle.data.copy()`: a field with the rows."""
        while isinstance(value, (ast.Subscript, ast.Attribute, ast.Call)):
            if isinstance(value, ast.Call):
                if not isinstance(value.func, ast.Attribute):
                    return False
                value = value.func.value
                continue
            inner = value.value
            if isinstance(inner, ast.Name) and inner.id in bundle:
                if isinstance(value, ast.Attribute):
                    return value.attr in self.table.bundle_fields
                key = value.slice
                return isinstance(key, ast.Constant) and key.value in self.table.bundle_fields
            value = inner
        return False

    # the predict slice ----------------------------------------------------------------------

    def _predict(self, sources: dict[int, set[str]]) -> tuple[list[Prediction], _Slice]:
        nb = self.nb
        final = self.final
        names = {final.name, *final.aliases} - {None}
        derived = self._derived(names)
        predictions: list[Prediction] = []
        result = _Slice()
        for index, f in enumerate(nb.facts):
            if index <= final.statement or index in self._metric_statements:
                continue
            for call in f.calls:
                kind = self.table.apply_methods.get(call.method or "")
                if kind is None or call.in_function or call.in_loop:
                    continue
                receiver = call.receiver
                if not (isinstance(receiver, ast.Name) and receiver.id in names | derived):
                    continue
                if index in self.tainted:
                    continue  # scores for a metric (reads the label): evaluation
                trial = self._slice([index], sources)
                if _on_training_rows(trial):
                    continue  # predictions on the training rows
                if not (trial.inputs or trial.held_out):
                    # rows read apart from the training rows (Kaggle's test.csv)?
                    more = self._readers(nb.flow.ancestors([index]), made=False)
                    if more:
                        sources.update(more)
                        trial = self._slice([index], sources)
                if not (trial.inputs or trial.held_out):
                    continue  # rows made up to show the model (a grid, `[[5, 2]]`), not data
                bound, value = _assigned_value(f.node)
                if bound is None and value is call.node:
                    bound = _first_unpacked(f.node)
                output = (
                    bound if bound and value is not None and _contains(value, call.node) else None
                )
                if output is None:
                    output = next(iter(sorted(f.changes)), None)
                matrix = call.node.args[0] if call.node.args else None
                predictions.append(
                    Prediction(
                        receiver.id,
                        call.method or "",
                        index,
                        _renamed(matrix, trial.renames) if matrix is not None else "",
                        output,
                    )
                )
                break
        if predictions:
            result = self._slice(
                [p.statement for p in predictions if p.statement is not None], sources
            )
            return predictions, result
        # the notebook never scores held-out rows: predict applies the model to the matrix
        # a clusterer's scoring is the cluster of each row (KMeans also has a `transform`: the
        # distances to the centres)
        clusterer = _kind(nb, final, set()) == "clusterer"
        method = "predict" if clusterer or self._predicts(final) else "transform"
        if final.matrix is None:
            result.problems.append(
                nb.problem(
                    ProblemKind.NO_INPUT,
                    final.statement,
                    f"{final.name} is fitted without a matrix argument",
                    final.call.node,
                )
            )
            return [], result
        result = self._slice(
            [], sources, needs=[(n, final.statement) for n in _names(final.matrix)], fit_side=True
        )
        applied_to = _renamed(final.matrix, result.renames)
        predictions.append(Prediction(final.name or "", method, None, applied_to, None))
        return predictions, result

    def _derived(self, names: set[str | None]) -> set[str]:
        """Names bound from the fitted object (`best = grid.best_estimator_`)."""
        out: set[str] = set()
        for index, f in enumerate(self.nb.facts):
            if index <= self.final.statement:
                continue
            bound, value = _assigned_value(f.node)
            root = _root(value) if value is not None and not isinstance(value, ast.Call) else None
            if bound and root is not None and (root.id in names or root.id in out):
                out.add(bound)
        return out

    def _slice(
        self,
        seeds: Sequence[int],
        sources: dict[int, set[str]],
        needs: Sequence[tuple[str, int]] = (),
        *,
        fit_side: bool = False,
    ) -> _Slice:
        """The statements the seeds need, cut where the artifact, the input or a split takes over."""
        nb = self.nb
        result = _Slice(fit_side=fit_side)
        work: list[tuple[str, int, int]] = []  # (name, needed before, by statement)
        for seed in seeds:
            result.included.add(seed)
            work.extend((n, at, seed) for n, at in nb.flow._needs(seed, seed))
        work.extend((n, at, at) for n, at in needs)
        done: set[tuple[str, int]] = set()
        while work:
            name, at, by = work.pop()
            if (name, at) in done:
                continue
            done.add((name, at))
            if any(fitted_at < at for fitted_at in self.fit_of.get(name, ())):
                result.fitted_used.add(name)
                continue  # the artifact holds it
            learned = self._learned_selection(name, at, by, sources)
            if learned is not None:
                result.learned[name] = learned
                continue  # the artifact holds the value training computed
            for w in nb.flow.writers(name, at):
                facts = nb.facts[w]
                if facts.is_import:
                    continue
                if w in sources and name in sources[w]:
                    result.inputs[w] = name
                    continue
                if w in self.splits:
                    self._through_split(w, name, by, result, work)
                    continue
                if (w, name) in self._row_splits:
                    self._through_row_split(w, name, by, result, work)
                    continue
                if w in result.included:
                    continue
                if (w, name) in self.trained_on and not result.fit_side:
                    result.train_side.append(by)
                    result.problems.append(
                        nb.problem(
                            ProblemKind.READS_TRAINING_DATA,
                            by,
                            f"reads {name}, computed from the training rows: scoring new rows "
                            "cannot (save what it learns from them with the artifact)",
                        )
                    )
                    continue
                fit = next((f for f in self.fits if f.statement == w), None)
                if fit is not None:
                    if name in (fit.name, *fit.aliases):
                        continue  # the fit itself: the artifact holds its result
                    if fit.name is None:
                        result.problems.append(
                            nb.problem(
                                ProblemKind.UNNAMED_FIT,
                                w,
                                f"{name} comes out of an object fitted on the spot "
                                f"({ast.unparse(fit.call.node)[:60]}): bind it to a name to save it",
                                fit.call.node,
                            )
                        )
                        continue
                    result.fitted_used.add(fit.name)
                    self._apply_instead(fit, name, result, work, by)
                    continue
                if not self._target_free(w, name, result, work, by):
                    continue
                result.included.add(w)
                work.extend((n, a, w) for n, a in nb.flow._needs(w, at))
        return result

    def _learned_selection(
        self, name: str, at: int, by: int, sources: Mapping[int, set[str]]
    ) -> int | None:
        """The statement binding `name` last, when statement `by` selects columns with it
        (`X[cols]`, `X.loc[:, cols]`, `columns=cols`) and it is computed from the rows the data
        step reads, before the model is fitted: which columns to keep is learned from the
        training rows, like a fitted object, and a batch must not choose again."""
        nb = self.nb
        node = nb.facts[by].node
        if node is None or not _selects_columns_with(node, name):
            return None
        writers = [w for w in nb.flow.writers(name, at) if not nb.facts[w].is_import]
        if not writers or any(f.statement in writers for f in self.fits):
            return None
        # column names (`X.columns[mask]`, `[c for c in df.columns if ...]`), never a row mask
        # (`df["age"] > 30` is the batch's own)
        _, value = _assigned_value(nb.facts[max(writers)].node)
        if value is None or not any(
            isinstance(a, ast.Attribute) and a.attr == "columns" for a in ast.walk(value)
        ):
            return None
        lineage = nb.flow.ancestors(writers)
        if not lineage & set(sources) or not set(writers) <= self._fit_lineage:
            return None
        return max(writers)

    @cached_property
    def _fit_lineage(self) -> set[int]:
        return self.nb.flow.ancestors([self.final.statement])

    def _through_split(
        self, w: int, name: str, by: int, result: _Slice, work: list[tuple[str, int, int]]
    ) -> None:
        mapping = self.splits[w]
        if name not in mapping:
            return
        source, held_out = mapping[name]
        if self._reads_training_side(
            held_out, by, f"{name}, the training part of the split", result
        ):
            return
        result.renames.setdefault(name, source)
        result.held_out.append(name)
        work.extend((n, w, by) for n in _names(ast.parse(source, mode="eval").body))

    def _reads_training_side(self, held_out: bool, by: int, what: str, result: _Slice) -> bool:
        """A predict slice that reads the training side of a split cannot score new rows."""
        if held_out or result.fit_side:
            return False
        result.train_side.append(by)
        result.problems.append(
            self.nb.problem(
                ProblemKind.READS_TRAINING_DATA, by, f"reads {what}: scoring new rows cannot"
            )
        )
        return True

    def _through_row_split(
        self, w: int, name: str, by: int, result: _Slice, work: list[tuple[str, int, int]]
    ) -> None:
        source, held_out = self._row_splits[(w, name)]
        if self._reads_training_side(held_out, by, f"{name}, the training rows", result):
            return
        result.renames.setdefault(name, source)
        result.held_out.append(name)
        result.splits_used.add(w)
        work.append((source, w, by))

    @cached_property
    def _row_splits(self) -> dict[tuple[int, str], tuple[str, bool]]:
        """Splits written by hand: rows taken by position, by sampling or by an index
        (`train = df.sample(frac=0.8)`, `test = df.drop(train.index)`, `X[:n]`, `X[idx]`), bound
        to a new name. (statement, name) -> (what the rows are taken of, held out?): held out
        unless the fit learns from it."""
        nb = self.nb
        lineage = self._train_lineage
        out: dict[tuple[int, str], tuple[str, bool]] = {}
        for index, f in enumerate(nb.facts):
            for name in f.binds:
                element = _bound_element(f.node, name)
                selection = self._selection(element, index) if element is not None else None
                if selection is not None and selection[1] == "split" and selection[0] != name:
                    out[(index, name)] = (selection[0], index not in lineage)
        return out

    def _selection(self, value: ast.expr, at: int) -> tuple[str, str] | None:
        """What rows `value` takes of which variable: (`df`, "split") for `df.sample(...)`,
        `df.drop(x.index)`, `df[:n]`, `X[idx]`; (`df`, "filter") for a condition on the rows'
        own values (`df[df.age > 30]`, `df.query(...)`); None for anything else."""
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            method, owner = value.func.attr, value.func.value
            if method not in self.table.row_selections or not isinstance(owner, ast.Name):
                return None
            if method == "query":
                return owner.id, "filter"
            if method == "drop" and not any(
                isinstance(n, ast.Attribute) and n.attr == "index" for n in ast.walk(value)
            ):
                return None  # dropping columns
            return owner.id, "split"
        if not isinstance(value, ast.Subscript):
            return None
        inner = value.value
        if isinstance(inner, ast.Attribute) and inner.attr in ("loc", "iloc"):
            inner = inner.value
        if not isinstance(inner, ast.Name):
            return None
        key = value.slice
        if isinstance(key, ast.Tuple):  # rows and columns: only rows, with every column
            if len(key.elts) < 2 or not all(
                isinstance(e, ast.Slice) and e.lower is e.upper is e.step is None
                for e in key.elts[1:]
            ):
                return None
            key = key.elts[0]
        kind = self._row_key(key, inner.id, at)
        return (inner.id, kind) if kind is not None else None

    def _row_key(self, key: ast.expr, owner: str, at: int) -> str | None:
        """A subscript key picking rows: "filter" when computed from the rows' own values,
        "split" when positions or an index from elsewhere; None for columns."""
        if isinstance(key, ast.Slice):
            whole = key.lower is key.upper is key.step is None
            return None if whole else "split"
        if isinstance(key, ast.Name):  # a mask or an index computed before
            binder = self.nb.flow.binder(key.id, at)
            if binder is None:
                return None
            _, bound = _assigned_value(self.nb.facts[binder].node)
            if not isinstance(bound, (ast.Call, ast.Compare, ast.BoolOp, ast.UnaryOp)):
                return None  # a list of column names, a column name
            key = bound
        elif not isinstance(key, (ast.Call, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Attribute)):
            return None
        if isinstance(key, ast.Attribute) and key.attr != "index":
            return None
        return "filter" if owner in _names(key) else "split"

    @cached_property
    def _train_lineage(self) -> frozenset[int]:
        return frozenset(self.nb.flow.ancestors([f.statement for f in self.chain]))

    @cached_property
    def _metric_statements(self) -> frozenset[int]:
        return frozenset(
            i for i, f in enumerate(self.nb.facts) if self._is_metric(i, f) and not f.is_definition
        )

    def _apply_instead(
        self, fit: _Fit, name: str, result: _Slice, work: list[tuple[str, int, int]], by: int
    ) -> None:
        """`X_s = scaler.fit_transform(X)` read for X_s: predict runs `scaler.transform(X)`."""
        nb = self.nb
        applied = self.table.apply_in_place.get(fit.method)
        if applied is None:
            result.problems.append(
                nb.problem(
                    ProblemKind.READS_TRAINING_DATA,
                    fit.statement,
                    f"{name} comes out of {fit.method}(): scoring new rows cannot refit",
                    fit.call.node,
                )
            )
            return
        node = nb.facts[fit.statement].node
        receiver = fit.call.receiver
        if node is None or receiver is None:
            return
        if fit.named_here:
            receiver = ast.Name(fit.name or "", ast.Load())
        edited = _replace_call(
            node,
            fit.call.node,
            ast.Call(
                ast.Attribute(receiver, applied, ast.Load()),
                fit.call.node.args[:1],
                [k for k in fit.call.node.keywords if k.arg in ("X", "x")],
            ),
        )
        result.included.add(fit.statement)
        result.edits[fit.statement] = Edit(
            fit.statement,
            ast.unparse(edited),
            f"{fit.method}() fitted {fit.name} on the training rows; new rows are only {applied}ed",
        )
        matrix = fit.call.node.args[0] if fit.call.node.args else None
        if matrix is not None:
            work.extend((n, fit.statement, fit.statement) for n in _names(matrix))

    def _target_free(
        self, w: int, name: str, result: _Slice, work: list[tuple[str, int, int]], by: int
    ) -> bool:
        """Whether statement `w` joins the predict slice (perhaps edited); else it is skipped,
        its effect passed through, or reported."""
        nb = self.nb
        facts = nb.facts[w]
        uses = self._target_uses(w)
        use = self._target_use(w)
        tainted = self.tainted.get(w, set())
        if use is None and not tainted:
            return True
        node = facts.node
        bound, value = _assigned_value(node)
        if use in ("drop", "carry") and not tainted and node is not None:
            if bound == name or use == "carry" or facts.is_definition:
                result.edits[w] = Edit(
                    w,
                    ast.unparse(_target_removed(node, self._key_matches)),
                    "leaves out the target column, which new rows do not have",
                )
                return True
            return False  # `df.pop("y")`, `del df["y"]`: nothing left to do on new rows
        if use in ("filter", "target-only") and not tainted and not facts.is_definition:
            if use == "filter" and bound is not None and value is not None:
                selection = self._selection(value, w)
                source = selection[0] if selection is not None else _single_name(value)
                if source is not None and source != bound:
                    result.edits[w] = Edit(w, f"{bound} = {source}", "keeps only labelled rows")
                    result.included.add(w)
                if source is not None:
                    work.append((source, w, by))
            return False  # rows without a label, or the label's own encoding: not for new rows
        split = _without_target(node, lambda e: self._reads_target(e, w))
        if split is not None and name in _names(split):
            result.edits[w] = Edit(
                w, ast.unparse(split), "the part that takes the target is left out"
            )
            return True
        if not tainted and self._column_unused(w, name):
            return False  # a column no later statement selects: the model never sees it
        what = ", ".join(sorted(tainted)) or ", ".join(sorted(self.keys))
        culprit = next((n for kind, n in uses if kind != "drop"), None)
        result.problems.append(
            nb.problem(
                ProblemKind.TARGET_IN_FEATURES,
                w,
                f"reads the target ({what}) to compute {name}: new rows have no label",
                culprit,
            )
        )
        return False

    def _column_unused(self, w: int, name: str) -> bool:
        """`df["c"] = ...` where every later read of `df` selects named columns other than "c"."""
        nb = self.nb
        node = nb.facts[w].node
        targets = node.targets if isinstance(node, ast.Assign) else []
        added: set[str] = set()
        for t in targets:
            if not (isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)):
                return False
            if t.value.id != name:
                return False
            keys = self._column_list(t.slice)
            if keys is None:
                return False
            added |= set(keys)
        if not added:
            return False
        binding = nb.flow.binder(name, w)
        for r in range(w + 1, len(nb.facts)):
            f = nb.facts[r]
            if name not in f.reads and name not in f.deferred:
                continue
            if nb.flow.binder(name, r) != binding:
                break  # bound anew: the column is gone
            reader = f.node
            if reader is None:
                return False
            stores = {
                id(t.value)
                for t in (reader.targets if isinstance(reader, ast.Assign) else [])
                if isinstance(t, ast.Subscript)
            }
            for sub in ast.walk(reader):
                if not (isinstance(sub, ast.Name) and sub.id == name) or id(sub) in stores:
                    continue
                parent = next(
                    (
                        p
                        for p in ast.walk(reader)
                        if isinstance(p, ast.Subscript) and p.value is sub
                    ),
                    None,
                )
                keys = self._column_list(parent.slice) if parent is not None else None
                if keys is None or added & set(keys):
                    return False
        return True

    def _column_list(self, key: ast.expr) -> tuple[str, ...] | None:
        """The column names a subscript key picks, when written out (or a list parameter)."""
        if isinstance(key, ast.Name):
            return self.nb.columns.get(key.id)
        if not _is_column_key(key):
            return None
        elts = key.elts if isinstance(key, (ast.List, ast.Tuple)) else [key]
        out = [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return tuple(out) if len(out) == len(elts) else None

    def _reads_target(self, expr: ast.AST, at: int) -> bool:
        tainted = self.tainted.get(at, set())
        return any(
            (isinstance(n, ast.Name) and n.id in tainted) or self._key_matches(n)
            for n in ast.walk(expr)
        )

    # business statements and the train slice ------------------------------------------------

    def _business(
        self, predictions: list[Prediction], slice_: _Slice, sources: dict[int, set[str]]
    ) -> set[int]:
        """Statements after the predictions that consume them and keep a value (no label)."""
        nb = self.nb
        seeds = [p.statement for p in predictions if p.statement is not None]
        if not seeds:
            return set()
        outputs: set[str] = set()
        for s in seeds:
            outputs |= nb.facts[s].binds | nb.facts[s].changes
        business: list[int] = []
        metrics = self._metric_statements
        fit_statements = {f.statement for f in self.fits}
        for index in range(min(seeds) + 1, len(nb.facts)):
            f = nb.facts[index]
            if index in seeds or f.is_import or f.is_definition or index in fit_statements:
                continue
            if not set(f.reads) & outputs or index in metrics or index in self.tainted:
                continue
            if self._target_use(index) is not None:
                continue
            if not (f.binds or f.changes - self.fit_of.keys()) or f.role is Role.EXPLORATION:
                continue  # shows a value only (a plot, a print)
            trial = self._slice([index], sources)
            if _on_training_rows(trial):
                continue
            business.append(index)
            outputs |= f.binds | f.changes
        if business:
            more = self._slice(business, sources)
            slice_.included |= more.included
            slice_.splits_used |= more.splits_used
            slice_.renames.update(
                {k: v for k, v in more.renames.items() if k not in slice_.renames}
            )
            slice_.inputs.update(more.inputs)
            slice_.edits.update({k: v for k, v in more.edits.items() if k not in slice_.edits})
            slice_.problems += more.problems
        return set(business)

    def _is_metric(self, index: int, f: _Facts) -> bool:
        fitted = {fit.name for fit in self.fits} | {a for fit in self.fits for a in fit.aliases}
        for call in f.calls:
            q = call.qualified or ""
            if _prefixed(q, self.table.metric_functions) or q in self.table.evaluation_functions:
                return True
            receiver = call.receiver
            if (
                call.method in self.table.metric_methods
                and isinstance(receiver, ast.Name)
                and receiver.id in fitted
            ):
                return True
        node = f.node
        if node is None:
            return False
        return any(
            isinstance(n, ast.Attribute)
            and n.attr in self.table.result_metrics
            and isinstance(n.value, ast.Name)
            and n.value.id in fitted
            for n in ast.walk(node)
        )

    def _train(self, predictions: list[Prediction]) -> tuple[set[int], set[int]]:
        """The metrics, and every statement fitting and evaluating needs (files written before
        the data step reads them included)."""
        nb = self.nb
        metrics = set(self._metric_statements)
        # evaluation written by hand: reads both the label and the predictions, keeps a value
        outputs = {p.output for p in predictions if p.output}
        for index, f in enumerate(nb.facts):
            if index in self.tainted and set(f.reads) & outputs and f.binds:
                metrics.add(index)
        seeds = [f.statement for f in self.fits] + sorted(metrics)
        train = nb.flow.ancestors(seeds)
        # a file the notebook writes and then reads back (the demo's generated applicants)
        for _ in range(3):
            more = self._file_writers(train)
            if not more:
                break
            train |= nb.flow.ancestors(sorted(more))
        return metrics, train

    def _file_writers(self, train: set[int]) -> set[int]:
        """Statements of the data step that write what an included reader reads: they share a
        path name (`raw.to_csv(DATA_PATH)`, `os.makedirs(DATA_DIR)` before `read_csv(DATA_PATH)`)."""
        nb = self.nb
        readers = [i for i in train if nb.facts[i].role is Role.DATA and nb.facts[i].binds]
        names: set[str] = set()
        for r in readers:
            for n in nb.facts[r].reads:
                names.add(n)
                for w in nb.flow.writers(n, r):
                    names |= set(nb.facts[w].reads)
        last = max(readers, default=0)
        return {
            i
            for i, f in enumerate(nb.facts[:last])
            if i not in train
            and f.role is Role.DATA
            and not f.binds
            and set(f.reads) & names
            and not all(nb.is_module(i, n) for n in set(f.reads) & names)
        }

    def _batch_statistics(self, predict: Sequence[int]) -> tuple[list[Problem], list[Statistic]]:
        """A note per statement computing a statistic over the rows it scores, and each such
        method call (`.median()`; the outermost of nested ones) as a value training can record.
        Functions of the whole batch (`pd.get_dummies`) are notes only: no one value stands
        for them."""
        nb = self.nb
        notes: list[Problem] = []
        statistics: list[Statistic] = []
        for index in predict:
            noted = False
            inside: list[ast.AST] = []
            for call in nb.facts[index].calls:
                axis = _arg(call.node, 99, "axis")
                rowwise = isinstance(axis, ast.Constant) and axis.value in (1, "columns")
                name = call.qualified if call.qualified in self.table.batch_functions else None
                on_module = isinstance(call.receiver, ast.Name) and nb.is_module(
                    index, call.receiver.id
                )
                method = (
                    call.method in self.table.batch_methods
                    and not rowwise
                    and not on_module
                    and not call.in_function
                    and not call.in_loop
                )
                if name is None and method:
                    name = f".{call.method}()"
                    if not any(_contains(outer, call.node) for outer in inside):
                        inside.append(call.node)
                        node = call.node
                        statistics.append(
                            Statistic(
                                index,
                                ast.unparse(node),
                                (
                                    node.lineno,
                                    node.col_offset,
                                    node.end_lineno or node.lineno,
                                    node.end_col_offset or node.col_offset,
                                ),
                            )
                        )
                if name is not None and not noted:
                    noted = True
                    notes.append(
                        nb.problem(
                            ProblemKind.BATCH_STATISTIC,
                            index,
                            f"{name} is computed over the rows being scored, not the training "
                            "rows: save it with the artifact for the same result on any batch",
                            call.node,
                        )
                    )
        return notes, statistics


# ---------------------------------------------------------------------------------------------
# Small readings of syntax


def _loop_split(node: ast.stmt | None) -> dict[str, tuple[str, bool]]:
    """`for train_idx, test_idx in splitter.split(X, y): train = X.loc[train_idx]; ...`:
    name -> (what its rows are taken of, held out?)."""
    if not (
        isinstance(node, ast.For)
        and isinstance(node.iter, ast.Call)
        and isinstance(node.iter.func, ast.Attribute)
        and node.iter.func.attr == "split"
        and isinstance(node.target, ast.Tuple)
        and len(node.target.elts) == 2
        and all(isinstance(e, ast.Name) for e in node.target.elts)
    ):
        return {}
    train, test = (e.id for e in node.target.elts if isinstance(e, ast.Name))
    out: dict[str, tuple[str, bool]] = {}
    for st in node.body:
        name, value = _assigned_value(st)
        if name is None or not isinstance(value, ast.Subscript):
            continue
        owner = value.value
        if isinstance(owner, ast.Attribute) and owner.attr in ("loc", "iloc"):
            owner = owner.value
        key = value.slice
        if isinstance(owner, ast.Name) and isinstance(key, ast.Name) and key.id in (train, test):
            out[name] = (owner.id, key.id == test)
    return out


def _made(fit: _Fit) -> int:
    """Where the fitted object was made: two fits of one object share it (a refit)."""
    return fit.built if fit.built is not None else fit.statement


def _cannot_score(api: str) -> str:
    return (
        f"{api.rsplit('.', 1)[-1]} labels only the rows it was fitted on: it has no predict or "
        "transform for new rows"
    )


def _unique(problems: Sequence[Problem]) -> Iterator[Problem]:
    seen: set[tuple[ProblemKind, int]] = set()
    for p in problems:
        if (p.kind, p.statement) not in seen:
            seen.add((p.kind, p.statement))
            yield p


def _on_training_rows(trial: _Slice) -> bool:
    """Whether a statement works on the training rows only (`model.predict(X_train)`); one
    that also reads the held-out rows scores them, perhaps with a training statistic."""
    return bool(trial.train_side) and not trial.held_out


def _names(expr: ast.AST) -> list[str]:
    return list(dict.fromkeys(n.id for n in ast.walk(expr) if isinstance(n, ast.Name)))


def _single_name(expr: ast.expr) -> str | None:
    """The one variable an expression reads, through attribute and method chains
    (`y_train.values.ravel()` -> `y_train`), or None."""
    names = [n for n in _names(expr)]
    root = _root(expr)
    if root is not None and len(names) == 1:
        return root.id
    return None


def _positional(expr: ast.expr) -> str | None:
    """The frame or array `df.iloc[:, -1]` or `data[:, 0]` takes a column of by position."""
    if not isinstance(expr, ast.Subscript):
        return None
    key = expr.slice
    last = key.elts[-1] if isinstance(key, ast.Tuple) and key.elts else None
    if last is None and isinstance(expr.value, ast.Attribute) and expr.value.attr == "iloc":
        return None  # `df.iloc[5]` is a row
    item = last if last is not None else key
    if isinstance(item, ast.UnaryOp) and isinstance(item.op, ast.USub):
        item = item.operand
    if isinstance(item, ast.Constant) and isinstance(item.value, int) and last is not None:
        root = _root(expr.value)
        return root.id if root is not None else None
    return None


def _root(expr: ast.expr) -> ast.Name | None:
    while True:
        if isinstance(expr, (ast.Attribute, ast.Subscript)):
            expr = expr.value
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            expr = expr.func.value
        else:
            break
    return expr if isinstance(expr, ast.Name) else None


def _root_id(expr: ast.expr) -> str:
    root = _root(expr)
    return root.id if root is not None else ""


def _is_called(tree: ast.AST, node: ast.AST) -> bool:
    """Whether `node` is the function of some call in `tree` (`df.mean` of `df.mean()`)."""
    return any(isinstance(n, ast.Call) and n.func is node for n in ast.walk(tree))


def _is_column_key(key: ast.expr) -> bool:
    """A subscript that picks columns (`"a"`, `["a", "b"]`, a name), not rows (a mask, a slice)."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return True
    if isinstance(key, ast.Name):
        return True
    if isinstance(key, (ast.List, ast.Tuple)):
        return all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in key.elts)
    return False


def _contains(tree: ast.AST, node: ast.AST) -> bool:
    return any(n is node for n in ast.walk(tree))


def _bound_element(node: ast.stmt | None, name: str) -> ast.expr | None:
    """The part of an assignment's value bound to `name` (`y` of `X, y = a, b` is `b`)."""
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.value if node.target.id == name else None
    if not isinstance(node, ast.Assign):
        return None
    for target in node.targets:
        if isinstance(target, ast.Name) and target.id == name:
            return node.value
        if isinstance(target, (ast.Tuple, ast.List)):
            value = node.value
            for position, elt in enumerate(target.elts):
                if isinstance(elt, ast.Name) and elt.id == name:
                    if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(
                        target.elts
                    ):
                        return value.elts[position]
                    return value
    return None


def _without_target(node: ast.stmt | None, reads: _Test) -> ast.stmt | None:
    """`X, y = df[F], df["y"]` without the parts that read the target: `X = df[F]`."""
    if not (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], (ast.Tuple, ast.List))
        and isinstance(node.value, (ast.Tuple, ast.List))
        and len(node.targets[0].elts) == len(node.value.elts)
    ):
        return None
    pairs = [
        (t, v) for t, v in zip(node.targets[0].elts, node.value.elts, strict=True) if not reads(v)
    ]
    if not pairs or len(pairs) == len(node.value.elts):
        return None
    if len(pairs) == 1:
        new: ast.stmt = ast.Assign([pairs[0][0]], pairs[0][1], lineno=node.lineno)
    else:
        new = ast.Assign(
            [ast.Tuple([t for t, _ in pairs], ast.Store())],
            ast.Tuple([v for _, v in pairs], ast.Load()),
            lineno=node.lineno,
        )
    return ast.fix_missing_locations(new)


def _target_removed(node: ast.stmt, is_target: _Test) -> ast.stmt:
    """The statement without the target column: `errors="ignore"` on each `drop` of it, and
    out of each list of columns it is selected among (`df[["a", "y"]]` -> `df[["a"]]`)."""
    changed = copy.deepcopy(node)
    for sub in ast.walk(changed):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "drop"
            and any(
                is_target(n)
                for p in [*sub.args, *(k.value for k in sub.keywords)]
                for n in ast.walk(p)
            )
            and not any(k.arg == "errors" for k in sub.keywords)
        ):
            sub.keywords.append(ast.keyword("errors", ast.Constant("ignore")))
        elif isinstance(sub, ast.Subscript) and isinstance(sub.slice, (ast.List, ast.Tuple)):
            kept = [e for e in sub.slice.elts if not is_target(e)]
            if kept and len(kept) < len(sub.slice.elts):
                sub.slice.elts = kept
    return changed


def _selects_columns_with(node: ast.stmt, name: str) -> bool:
    """`X[name]`, `X.loc[:, name]`, `X.drop(columns=name)`: the statement picks columns by the
    names `name` holds."""

    def is_name(expr: ast.expr | None) -> bool:
        return isinstance(expr, ast.Name) and expr.id == name

    for sub in ast.walk(node):
        if isinstance(sub, ast.Subscript):
            index = sub.slice
            if is_name(index) and not isinstance(sub.value, ast.Attribute):
                return True
            if (
                isinstance(index, ast.Tuple)
                and len(index.elts) == 2
                and isinstance(index.elts[0], ast.Slice)
                and is_name(index.elts[1])
            ):
                return True
        if isinstance(sub, ast.Call) and any(
            k.arg == "columns" and is_name(k.value) for k in sub.keywords
        ):
            return True
    return False


def _replace_call(node: ast.stmt, old: ast.Call, new: ast.Call) -> ast.stmt:
    """A copy of the statement with the call at `old`'s position replaced by `new`."""
    where = (old.lineno, old.col_offset, old.end_lineno, old.end_col_offset)

    class Swap(ast.NodeTransformer):
        def visit_Call(self, call: ast.Call) -> ast.AST:
            if (call.lineno, call.col_offset, call.end_lineno, call.end_col_offset) == where:
                return new
            self.generic_visit(call)
            return call

    swapped = Swap().visit(copy.deepcopy(node))
    assert isinstance(swapped, ast.stmt)
    return ast.fix_missing_locations(swapped)


def _renamed(expr: ast.expr, renames: Mapping[str, str]) -> str:
    """The expression's text with the held-out names replaced (`X_test` -> `X`)."""
    if isinstance(expr, ast.Name):
        return renames.get(expr.id, expr.id)

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return ast.Name(renames.get(node.id, node.id), node.ctx)

    return ast.unparse(Rename().visit(ast.parse(ast.unparse(expr), mode="eval")))
