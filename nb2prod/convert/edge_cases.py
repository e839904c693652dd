"""Where a generated feature function imputes and branches, read from its code.

The generated package's edge tests (tests/test_edges.py, written by `nb2prod verify`) need
to know two things about each feature function that its captured data alone cannot say:
which columns it fills with a statistic (`fillna(df.x.median())`, `SimpleImputer`), and
which row conditions decide what it computes (`if`/`else`, a conditional expression,
`np.where`, `.where`/`.mask`, `.loc[condition, ...]`). This module finds them in the
function's source, and in the package's own functions it calls, as frozen records; the
fixture run then judges them on the data the notebook saw.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

Statistic = Literal["mean", "median", "mode"]
Operator = Literal["<", "<=", ">", ">=", "==", "!=", "in", "not in", "isna", "notna"]
Scalar = int | float | str
Kind = Literal["if", "where", "loc"]

_STATISTICS: Mapping[str, Statistic] = {"mean": "mean", "median": "median", "mode": "mode"}
_IMPUTER_STRATEGIES: Mapping[str, Statistic] = {
    "mean": "mean",
    "median": "median",
    "most_frequent": "mode",
}
_OPERATORS: Mapping[type[ast.cmpop], Operator] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
}
# `df.x.isin([...])`, `df.x.isna()` and their kin: a row condition without a comparison
_METHODS: Mapping[str, Operator] = {
    "isin": "in",
    "isna": "isna",
    "isnull": "isna",
    "notna": "notna",
    "notnull": "notna",
}
# `5 < df.x` reads as `df.x > 5`
_MIRRORED: Mapping[Operator, Operator] = {
    "<": ">",
    "<=": ">=",
    ">": "<",
    ">=": "<=",
    "==": "==",
    "!=": "!=",
}
# attributes of a frame that are not columns (`df.shape > 0` compares no column)
_NOT_COLUMNS = frozenset(
    {"values", "index", "columns", "shape", "size", "loc", "iloc", "at", "iat", "str", "dt"}
    | {"cat", "T", "dtypes", "dtype", "empty", "ndim", "name", "array"}
)
ALL_COLUMNS = "*"  # an imputer whose columns the code does not list: every numeric column


@dataclass(frozen=True, slots=True)
class Imputation:
    """A column filled with a statistic of a column (`df.a.fillna(df.a.median())`)."""

    column: str  # the column filled; ALL_COLUMNS for an imputer over unnamed columns
    source: str  # the column the statistic is computed on
    statistic: Statistic
    via: Literal["fillna", "SimpleImputer"]
    line: int  # in the generated module


@dataclass(frozen=True, slots=True)
class Condition:
    """A row condition `column op value` that chooses between two outcomes (`in` a tuple of
    values; `isna`/`notna` take no value)."""

    column: str
    op: Operator
    value: Scalar | tuple[Scalar, ...] | None
    kind: Kind
    line: int
    text: str  # the condition as written


@dataclass(frozen=True, slots=True)
class FunctionEdges:
    """The imputations and row conditions of one generated function."""

    module: str
    function: str
    imputations: tuple[Imputation, ...]
    conditions: tuple[Condition, ...]

    @property
    def empty(self) -> bool:
        return not self.imputations and not self.conditions


def analyze_module(source: str, module: str, functions: Iterable[str]) -> tuple[FunctionEdges, ...]:
    """The edge sites of each named top-level function of one generated module's source."""
    tree = ast.parse(source)
    defs = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    found = []
    for name in functions:
        if name not in defs:
            continue
        reached = _reached(defs[name], defs)
        aliases = _column_parameters(reached, defs)
        imputations: dict[tuple[str, str, str], Imputation] = {}
        conditions: dict[tuple[str, str, object], Condition] = {}
        for function in reached:
            names = aliases.get(function.name, {})
            for node in ast.walk(function):
                for imputation in _imputations(node, function, names):
                    key = (imputation.column, imputation.source, imputation.statistic)
                    imputations.setdefault(key, imputation)
                for condition in _conditions(node, names):
                    conditions.setdefault(
                        (condition.column, condition.op, condition.value), condition
                    )
        found.append(
            FunctionEdges(module, name, tuple(imputations.values()), tuple(conditions.values()))
        )
    return tuple(found)


def _reached(
    start: ast.FunctionDef | ast.AsyncFunctionDef,
    defs: Mapping[str, ast.FunctionDef | ast.AsyncFunctionDef],
) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The function and the module's functions it names (calls, or passes to `.apply`)."""
    reached, todo = [], [start]
    seen: set[str] = set()
    while todo:
        current = todo.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        reached.append(current)
        for node in ast.walk(current):
            if isinstance(node, ast.Name) and node.id in defs and node.id not in seen:
                todo.append(defs[node.id])
    return reached


def _column_parameters(
    reached: Iterable[ast.FunctionDef | ast.AsyncFunctionDef],
    defs: Mapping[str, ast.FunctionDef | ast.AsyncFunctionDef],
) -> dict[str, dict[str, str]]:
    """{function: {parameter: column}} for functions and lambdas applied to one column."""
    aliases: dict[str, dict[str, str]] = {}
    for function in reached:
        for node in ast.walk(function):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("apply", "map")
                and node.args
            ):
                continue
            column = _column(node.func.value, {})
            applied = node.args[0]
            if column is None:
                continue
            if isinstance(applied, ast.Lambda) and applied.args.args:
                # the lambda is walked as part of its enclosing function
                aliases.setdefault(function.name, {})[applied.args.args[0].arg] = column
            elif isinstance(applied, ast.Name) and applied.id in defs:
                target = defs[applied.id]
                if target.args.args:
                    aliases.setdefault(target.name, {})[target.args.args[0].arg] = column
    return aliases


def _column(node: ast.expr, aliases: Mapping[str, str]) -> str | None:
    """The column an expression reads: `df["a"]`, `df.a`, or a parameter bound to one column."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.attr not in _NOT_COLUMNS
        and not node.attr.startswith("_")
    ):
        return node.attr
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    return None


def _statistic(node: ast.expr, aliases: Mapping[str, str]) -> tuple[str, Statistic] | None:
    """(column, statistic) for `df.a.median()`, `df["a"].mean()`, `df.a.mode()[0]`."""
    if isinstance(node, ast.Subscript):  # mode()[0], mode().iloc[0]
        inner = node.value
        if isinstance(inner, ast.Attribute) and inner.attr == "iloc":
            inner = inner.value
        found = _statistic(inner, aliases)
        return found if found is not None and found[1] == "mode" else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _STATISTICS
    ):
        column = _column(node.func.value, aliases)
        if column is not None:
            return column, _STATISTICS[node.func.attr]
    return None


def _imputations(
    node: ast.AST, function: ast.FunctionDef | ast.AsyncFunctionDef, aliases: Mapping[str, str]
) -> Iterator[Imputation]:
    if not isinstance(node, ast.Call):
        return
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "fillna":
        fill = (
            node.args[0]
            if node.args
            else next((k.value for k in node.keywords if k.arg == "value"), None)
        )
        column = _column(func.value, aliases)
        if column is not None and fill is not None:
            found = _statistic(fill, aliases)
            if found is not None:
                yield Imputation(column, found[0], found[1], "fillna", node.lineno)
        elif isinstance(fill, ast.Dict):  # df.fillna({"a": df.a.mean(), ...})
            for key, value in zip(fill.keys, fill.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    found = _statistic(value, aliases)
                    if found is not None:
                        yield Imputation(key.value, found[0], found[1], "fillna", node.lineno)
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if name == "SimpleImputer":
        strategy = next(
            (k.value for k in node.keywords if k.arg == "strategy"), ast.Constant("mean")
        )
        if not (isinstance(strategy, ast.Constant) and strategy.value in _IMPUTER_STRATEGIES):
            return
        statistic = _IMPUTER_STRATEGIES[str(strategy.value)]
        columns = _fitted_columns(function) or [ALL_COLUMNS]
        for column in columns:
            yield Imputation(column, column, statistic, "SimpleImputer", node.lineno)


def _fitted_columns(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The columns listed where something is fitted: `imputer.fit_transform(df[["a", "b"]])`."""
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("fit", "fit_transform")
            and node.args
            and isinstance(node.args[0], ast.Subscript)
            and isinstance(node.args[0].slice, ast.List)
        ):
            names = [
                e.value
                for e in node.args[0].slice.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
            if names:
                return names
    return []


def _conditions(node: ast.AST, aliases: Mapping[str, str]) -> Iterator[Condition]:
    """The row conditions a branch, `np.where`, `.where`/`.mask` or `.loc[...]` depends on."""
    test: ast.expr | None = None
    kind: Kind = "if"
    if isinstance(node, (ast.If, ast.IfExp)):
        test = node.test
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("where", "mask")
        and node.args
    ):
        test, kind = node.args[0], "where"
    elif (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "loc"
    ):
        key = node.slice
        test, kind = (key.elts[0] if isinstance(key, ast.Tuple) and key.elts else key), "loc"
    if test is None:
        return
    for part in _atoms(test):
        condition = _comparison(part, aliases, kind)
        if condition is not None:
            yield condition


def _atoms(test: ast.expr) -> Iterator[ast.expr]:
    """The comparisons a condition combines with and/or/not, `&`, `|`, `~`."""
    if isinstance(test, ast.BoolOp):
        for value in test.values:
            yield from _atoms(value)
    elif isinstance(test, ast.BinOp) and isinstance(test.op, (ast.BitAnd, ast.BitOr)):
        yield from _atoms(test.left)
        yield from _atoms(test.right)
    elif isinstance(test, ast.UnaryOp) and isinstance(test.op, (ast.Not, ast.Invert)):
        yield from _atoms(test.operand)
    else:
        yield test


def _literal(node: ast.expr) -> int | float | str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
        return None if isinstance(node.value, bool) else node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float))
        and not isinstance(node.operand.value, bool)
    ):
        return -node.operand.value
    return None


def _literals(node: ast.expr) -> tuple[Scalar, ...] | None:
    """`["a", "b"]`, `(1, 2)`, `{3}`: the literals, in order."""
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)) or not node.elts:
        return None
    found = [_literal(e) for e in node.elts]
    values = [v for v in found if v is not None]
    return tuple(values) if len(values) == len(found) else None


def _comparison(node: ast.expr, aliases: Mapping[str, str], kind: Kind) -> Condition | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        method = _METHODS.get(node.func.attr)
        column = _column(node.func.value, aliases)
        if method is None or column is None:
            return None
        if method == "in":  # `df.x.isin([...])`
            values = _literals(node.args[0]) if len(node.args) == 1 else None
            if values is None:
                return None
            return Condition(column, method, values, kind, node.lineno, ast.unparse(node))
        if node.args or node.keywords:
            return None
        return Condition(column, method, None, kind, node.lineno, ast.unparse(node))
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return None
    op = _OPERATORS.get(type(node.ops[0]))
    if op is None:
        return None
    left, right = node.left, node.comparators[0]
    if op in ("in", "not in"):  # `v in ("a", "b")`
        column, values = _column(left, aliases), _literals(right)
        if column is None or values is None:
            return None
        return Condition(column, op, values, kind, node.lineno, ast.unparse(node))
    column, value = _column(left, aliases), _literal(right)
    if column is None or value is None:  # `5 < df.a`
        column, value, op = _column(right, aliases), _literal(left), _MIRRORED[op]
    if column is None or value is None:
        return None
    return Condition(column, op, value, kind, node.lineno, ast.unparse(node))
