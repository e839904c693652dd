"""Whether running a self-update again gives the same value, by nb2prod/data/idempotence.json.

A self-update reads a value and stores it back: `df = df.fillna(0)`, `df['a'] = df['a'] * 2`,
`df.drop('c', axis=1, inplace=True)`, `items.append(x)`. The walk from the stored expression
down to the value read gives the operations applied to it, in the order they run; the table says
whether each, applied again to its own result, gives the same value. Two more things decide:

- a chain of operations that each give the same value again is taken to give the same value
  again (`df.dropna().reset_index(drop=True)`);
- value kinds: an operation can need a kind of value (`.str` needs text) that the first run
  no longer leaves (`df['p'] = df['p'].str.strip('$').astype(float)`: the second run fails).
  The chain is followed twice, from an unknown kind and then from the kind the first run left.

Only self-updates reach this module, so its cost does not weigh on the analysis.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nb2prod.analysis.records import Rerun
from nb2prod.analysis.scopes import walk
from nb2prod.analysis.syntax import BINARY_OPERATORS, dotted_name
from nb2prod.data import read_text

# Verdicts as the table spells them.
YES, NO, UNKNOWN = "yes", "no", "unknown"
SECTIONS = (
    "methods",
    "attributes",
    "functions",
    "argument_methods",
    "subscripts",
    "operators",
    "augmented",
    "statements",
)
# A `needs` that any pandas value meets, and the kinds that do not meet it.
PANDAS = "pandas"
_NOT_PANDAS = frozenset({"array", "list"})
ACCESSORS = frozenset({"str", "dt", "cat"})
# Methods that summarise a value: a condition comparing with one of them changes when rows go.
STATISTICS = frozenset(
    {
        "mean",
        "median",
        "quantile",
        "std",
        "var",
        "max",
        "min",
        "sum",
        "count",
        "mode",
        "nunique",
        "value_counts",
        "idxmax",
        "idxmin",
        "rank",
        "transform",
        "agg",
        "size",
        "shape",
        "cumsum",
    }
)
MASK_METHODS = frozenset(
    {
        "isin",
        "eval",
        "isnull",
        "isna",
        "notnull",
        "notna",
        "between",
        "duplicated",
        "contains",
        "startswith",
        "endswith",
        "match",
        "eq",
        "ne",
        "lt",
        "gt",
        "le",
        "ge",
    }
)
_BINOPS = BINARY_OPERATORS
_UNARY: Mapping[type, str] = {
    ast.USub: "unary -",
    ast.Invert: "unary ~",
    ast.Not: "not",
    ast.UAdd: "unary +",
}
_DTYPE_KINDS: Mapping[str, str] = {
    **dict.fromkeys(("str", "string", "unicode"), "text"),
    "category": "category",
    **dict.fromkeys(
        (
            "int",
            "float",
            "complex",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "float16",
            "float32",
            "float64",
            "Int8",
            "Int16",
            "Int32",
            "Int64",
            "Float32",
            "Float64",
            "number",
        ),
        "number",
    ),
    **dict.fromkeys(("bool", "boolean", "bool_"), "bool"),
    **dict.fromkeys(("datetime64", "datetime64[ns]", "M8[ns]", "<M8[ns]"), "datetime"),
    **dict.fromkeys(("timedelta64", "timedelta64[ns]", "m8[ns]"), "timedelta"),
}


@dataclass(frozen=True, slots=True)
class Condition:
    keyword: str | None  # the call gives this keyword ...
    value: object  # ... with this literal value (`_ANY`: with any value but None)
    test: str | None  # or: this named test holds
    verdict: str
    why: str


@dataclass(frozen=True, slots=True)
class Entry:
    verdict: str
    why: str
    needs: tuple[str, ...]  # kinds of value the operation works on (any, when empty)
    gives: str | None  # a kind, "dtype argument", or None: the kind does not change
    when: tuple[Condition, ...]
    callable: bool  # the verdict is that of the function passed as first argument


_ANY = object()


def _entry(raw: Mapping[str, Any]) -> Entry:
    conditions = []
    for case in raw.get("when", ()):
        cond = case["if"]
        conditions.append(
            Condition(
                cond.get("keyword"),
                cond.get("is", _ANY),
                cond.get("test"),
                case["verdict"],
                case.get("why", raw.get("why", "")),
            )
        )
    return Entry(
        raw["verdict"],
        raw.get("why", ""),
        tuple(raw.get("needs", ())),
        raw.get("gives"),
        tuple(conditions),
        bool(raw.get("callable", False)),
    )


@lru_cache(maxsize=1)
def table() -> Mapping[str, Mapping[str, Entry]]:
    """The idempotence table: section -> operation -> entry."""
    text = read_text("idempotence.json")
    raw = json.loads(text)
    return {s: {k: _entry(v) for k, v in raw[s].items()} for s in SECTIONS}


@lru_cache(maxsize=1)
def _library_functions() -> Mapping[str, str]:
    """Function name -> the one library function of the table with that name, where all the
    table's functions of that name agree (`to_datetime` -> `pandas.to_datetime`)."""
    by_name: dict[str, list[str]] = {}
    for key in table()["functions"]:
        module, _, name = key.rpartition(".")
        if module and not module.rpartition(".")[2][:1].isupper():  # not a class's method
            by_name.setdefault(name, []).append(key)
    functions = table()["functions"]
    return {
        name: keys[0]
        for name, keys in by_name.items()
        if len({(functions[k].verdict, functions[k].gives) for k in keys}) == 1
    }


def library_function(name: str) -> str | None:
    """The table's library function called `name`, for a module the cell cannot resolve: one
    bound by a hidden import (`exec(...)`, a star import) or by a cell further down."""
    return _library_functions().get(name)


def describe(section: str, key: str) -> str:
    """How an operation reads in a message: `.fillna()`, `.values`, `pandas.to_datetime()`, `[mask]`."""
    if section == "methods":
        return f".{key}()"
    if section == "attributes":
        return f".{key}"
    if section in ("functions", "argument_methods"):
        return f"{key}()" if section == "functions" else f".{key}(…)"
    if section == "subscripts":
        return f"[{key}]"
    if section in ("operators", "augmented"):
        return f"'{key.removeprefix('unary ')}'"
    return key


# -- what the walk yields


@dataclass(frozen=True, slots=True)
class Step:
    section: str
    key: str
    node: ast.AST  # the call, subscript or operation
    receiver: ast.AST | None  # what the operation is applied to (a method's object)


Resolve = Callable[[str], str | None]  # `pd.to_datetime` -> `pandas.to_datetime`, or None


def _holds(node: ast.AST, is_self: Callable[[ast.AST], bool]) -> bool:
    return any(is_self(n) for n in walk(node))


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _accessor(node: ast.AST) -> str | None:
    """`str` for `x.str` (a pandas accessor), else None."""
    if isinstance(node, ast.Attribute) and node.attr in ACCESSORS:
        return node.attr
    return None


def steps_of(
    value: ast.AST,
    is_self: Callable[[ast.AST], bool],
    resolve: Resolve,
    classes: Mapping[str, str],
) -> list[Step] | None:
    """The operations `value` applies to the self value, innermost (first run) first; None when
    the self value is not what the expression is computed from."""
    found: list[Step] = []
    node: ast.AST = value
    while not is_self(node):
        step, inner = _step(node, is_self, resolve, classes)
        if step is None or inner is None:
            return None
        found.append(step)
        node = inner
    found.reverse()
    return found


def _step(
    node: ast.AST,
    is_self: Callable[[ast.AST], bool],
    resolve: Resolve,
    classes: Mapping[str, str],
) -> tuple[Step | None, ast.AST | None]:
    def holds(n: ast.AST) -> bool:
        return _holds(n, is_self)

    if isinstance(node, ast.Call):
        return _call_step(node, holds, resolve, classes)
    if isinstance(node, ast.Attribute) and holds(node.value):
        accessor = _accessor(node.value)
        if accessor is not None and isinstance(node.value, ast.Attribute):
            inner = node.value.value
            if holds(inner):
                return Step("attributes", f"{accessor}.{node.attr}", node, inner), inner
        return Step("attributes", node.attr, node, node.value), node.value
    if isinstance(node, ast.Subscript) and holds(node.value):
        receiver = node.value
        if (
            _accessor(receiver) == "str"
            and isinstance(receiver, ast.Attribute)
            and holds(receiver.value)
        ):
            return Step("subscripts", _str_slice(node.slice), node, receiver.value), receiver.value
        positional = False
        if isinstance(receiver, ast.Attribute) and receiver.attr in ("loc", "iloc"):
            positional = receiver.attr == "iloc"
            receiver = receiver.value
            if not holds(receiver):
                return None, None
        key = _index_kind(node.slice, receiver, is_self, positional=positional)
        return Step("subscripts", key, node, receiver), receiver
    if isinstance(node, ast.BinOp):
        op = _BINOPS.get(type(node.op), "?")
        for side in (node.left, node.right):
            if holds(side):
                return Step("operators", op, node, None), side
        return None, None
    if isinstance(node, ast.UnaryOp) and holds(node.operand):
        return Step("operators", _UNARY.get(type(node.op), "?"), node, None), node.operand
    return None, None


def _call_step(
    node: ast.Call,
    holds: Callable[[ast.AST], bool],
    resolve: Resolve,
    classes: Mapping[str, str],
) -> tuple[Step | None, ast.AST | None]:
    func = node.func
    if isinstance(func, ast.Attribute) and holds(func.value):
        receiver = func.value
        accessor = _accessor(receiver)
        if accessor is not None and isinstance(receiver, ast.Attribute) and holds(receiver.value):
            return Step("methods", f"{accessor}.{func.attr}", node, receiver.value), receiver.value
        return Step("methods", func.attr, node, receiver), receiver
    held = next((a for a in _arguments(node) if holds(a)), None)
    if held is None:
        return None, None
    inner = _unstar(held, holds)
    name = dotted_name(func)
    if name is not None and (resolve(name.split(".")[0]) is not None or "." not in name):
        return Step("functions", _qualified(name, resolve), node, None), inner
    if not isinstance(func, ast.Attribute):
        return None, None
    # a method of another object, given the value: `scaler.transform(X)`, `t.align(X)`
    owner = _class_of(func.value, resolve, classes)
    if owner is not None:
        return Step("functions", f"{owner}.{func.attr}", node, None), inner
    library = library_function(func.attr)
    if func.attr not in table()["argument_methods"] and library is not None:
        return Step("functions", library, node, None), inner  # `pd` bound out of sight
    return Step("argument_methods", func.attr, node, func.value), inner


def _unstar(node: ast.AST, holds: Callable[[ast.AST], bool]) -> ast.AST:
    """The element of a list display holding the value (`pd.concat([df, other])`)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            if holds(element):
                return element.value if isinstance(element, ast.Starred) else element
    return node


def _qualified(name: str, resolve: Resolve) -> str:
    return resolve(name) or name


def _class_of(node: ast.AST, resolve: Resolve, classes: Mapping[str, str]) -> str | None:
    """The qualified class of an object made in the cell: `StandardScaler()` or a name bound to one."""
    if isinstance(node, ast.Call):
        name = dotted_name(node.func)
        if name is not None:
            qualified = resolve(name)
            if qualified is not None and qualified.rsplit(".", 1)[-1][:1].isupper():
                return qualified
        return None
    if isinstance(node, ast.Name):
        return classes.get(node.id)
    return None


def _str_slice(index: ast.expr) -> str:
    if isinstance(index, ast.Slice):
        if index.lower is None and index.step is None and index.upper is not None:
            return "str[:n]" if _non_negative(index.upper) else "str[n:]"
        return "str[n:]"
    value = _int_literal(index)
    if value in (0, -1):
        return "str[0]"
    return "str[i]" if value is not None else "?"


def _int_literal(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


def _non_negative(node: ast.AST) -> bool:
    value = _int_literal(node)
    return value is None or value >= 0


def is_mask(node: ast.AST) -> bool:
    """A boolean condition: `df.x > 0`, `~df.y.isnull()`, `(a) & (b)`, `df.z.isin(...)`."""
    if isinstance(node, (ast.Compare, ast.BoolOp)):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Invert, ast.Not)):
        return is_mask(node.operand) or isinstance(node.operand, ast.Call)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
        return is_mask(node.left) or is_mask(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in MASK_METHODS
    return False


def _reads_statistic(node: ast.AST, is_self: Callable[[ast.AST], bool]) -> bool:
    """Whether a condition compares with a statistic of the value itself (`df.x < df.x.mean()`)."""
    for sub in walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Attribute) and func.attr in STATISTICS:
                summarised = [func.value]
            elif isinstance(func, ast.Name) and func.id == "len":
                summarised = list(sub.args)
            else:
                continue
        elif isinstance(sub, ast.Attribute) and sub.attr in ("shape", "size"):
            summarised = [sub.value]
        else:
            continue
        if any(_holds(s, is_self) for s in summarised):
            return True
    return False


def _index_kind(
    index: ast.expr, receiver: ast.AST, is_self: Callable[[ast.AST], bool], *, positional: bool
) -> str:
    if isinstance(index, ast.Tuple) and index.elts:
        kinds = [_index_kind(e, receiver, is_self, positional=positional) for e in index.elts]
        known = table()["subscripts"]
        # the rows and the columns part: the first that is not known to give the same again
        return next((k for k in kinds if k not in known or known[k].verdict != YES), kinds[0])
    if isinstance(index, ast.Slice):
        if index.lower is None and index.upper is None:
            step = index.step
            return "all" if step is None or _int_literal(step) == 1 else "reversing slice"
        if index.step is not None:
            return "?"
        bounds = [b for b in (index.lower, index.upper) if b is not None]
        if not positional and all(
            isinstance(b, ast.Constant) and isinstance(b.value, str) for b in bounds
        ):
            return "label slice"
        if positional or all(_int_literal(b) is not None for b in bounds):
            if index.lower is not None:
                return "tail slice" if _int_literal(index.lower) != 0 else "head slice"
            assert index.upper is not None
            return "head slice" if _non_negative(index.upper) else "negative end slice"
        return "label slice" if not positional else "?"
    if is_mask(index):
        if not _holds(index, is_self) and not _holds(index, lambda n: _same_root(n, receiver)):
            return "?"
        return "mask by a statistic" if _reads_statistic(index, is_self) else "mask"
    if isinstance(index, (ast.List, ast.Tuple)):
        return "positions" if positional else "labels"
    if isinstance(index, ast.Constant):
        return "position" if positional else "label"
    return "?"


def _same_root(node: ast.AST, receiver: ast.AST) -> bool:
    name = _root(receiver)
    return name is not None and isinstance(node, ast.Name) and node.id == name


# -- the verdict of one step


def _keyword(call: ast.AST, name: str) -> ast.expr | None:
    if isinstance(call, ast.Call):
        for k in call.keywords:
            if k.arg == name:
                return k.value
    return None


def _literal(node: ast.AST) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _ANY


def _holds_condition(cond: Condition, step: Step, is_self: Callable[[ast.AST], bool]) -> bool:
    if cond.keyword is not None:
        given = _keyword(step.node, cond.keyword)
        if given is None or (isinstance(given, ast.Constant) and given.value is None):
            return False
        return cond.value is _ANY or _literal(given) == cond.value
    if cond.test is not None:
        return TESTS[cond.test](step, is_self)
    return False


def _arguments(node: ast.AST) -> list[ast.expr]:
    if not isinstance(node, ast.Call):
        return []
    return list(node.args) + [k.value for k in node.keywords]


def _literals(node: ast.AST) -> list[object]:
    """The constants of a literal, a list or a tuple of them."""
    if isinstance(node, ast.Constant):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant)]
    return []


def _replacements(call: ast.AST) -> dict[object, object]:
    """What a replace or rename call maps to what, for the literals it names."""
    found: dict[object, object] = {}
    if not isinstance(call, ast.Call):
        return found
    mappings = [a for a in _arguments(call) if isinstance(a, ast.Dict)]
    while mappings:
        mapping = mappings.pop()
        for key, value in zip(mapping.keys, mapping.values, strict=True):
            if isinstance(value, ast.Dict):
                mappings.append(value)  # {'column': {old: new}}
            elif isinstance(key, ast.Constant) and isinstance(value, ast.Constant):
                found[key.value] = value.value
    positional = list(call.args)
    old = positional[0] if positional else _keyword(call, "to_replace") or _keyword(call, "pat")
    new = (
        positional[1] if len(positional) > 1 else _keyword(call, "value") or _keyword(call, "repl")
    )
    if old is None or new is None or isinstance(old, ast.Dict):
        return found
    olds, news = _literals(old), _literals(new)
    if isinstance(new, ast.Constant):
        news = news * len(olds)
    found.update(zip(olds, news, strict=False))
    return found


def _replacement_reappears(step: Step, is_self: Callable[[ast.AST], bool]) -> bool:
    """A value put in is itself replaced by something else: `{'a': 'b', 'b': 'c'}`, or, for
    `.str.replace`, a replacement holding the pattern (`'a'` -> `'ab'`)."""
    mapping = _replacements(step.node)
    substring = step.key == "str.replace"
    for old, new in mapping.items():
        if new == old:
            continue
        if new in mapping and mapping[new] != new and type(new) is type(old):
            return True
        if substring and isinstance(new, str) and isinstance(old, str) and old and old in new:
            return True
    return False


_IDEMPOTENT_STR = frozenset({"str.lower", "str.upper", "str.strip", "str.title"})


def _function_argument(step: Step, is_self: Callable[[ast.AST], bool]) -> bool:
    call = step.node
    if not isinstance(call, ast.Call):
        return False
    mappers = list(call.args[:1]) + [
        k.value for k in call.keywords if k.arg in ("mapper", "columns", "index")
    ]
    return any(
        not isinstance(m, ast.Dict) and dotted_name(m) not in _IDEMPOTENT_STR for m in mappers
    )


def _arguments_read_receiver(step: Step, is_self: Callable[[ast.AST], bool]) -> bool:
    root = _root(step.receiver) if step.receiver is not None else None
    if root is None:
        return any(_holds(a, is_self) for a in _arguments(step.node))
    return any(
        isinstance(n, ast.Name) and n.id == root for a in _arguments(step.node) for n in walk(a)
    )


def _filter_of_receiver(step: Step, is_self: Callable[[ast.AST], bool]) -> bool:
    """`df.drop(df[df.x < 0].index)`: the labels are those a condition on the receiver selects,
    and none are left to select the second time."""
    root = _root(step.receiver) if step.receiver is not None else None
    if root is None:
        return False

    def reads_root(n: ast.AST) -> bool:
        return isinstance(n, ast.Name) and n.id == root

    call = step.node
    axis = _keyword(call, "axis")
    columns = _keyword(call, "columns") is not None or (
        axis is not None and _literal(axis) in (1, "columns")
    )
    for argument in _arguments(call):
        for sub in walk(argument):
            if (
                isinstance(sub, ast.Subscript)
                and is_mask(sub.slice)
                and _holds(sub.value, reads_root)
                and (columns or not _reads_statistic(sub.slice, reads_root))
            ):
                return True
    return False


def _assigns_from_assigned(step: Step, is_self: Callable[[ast.AST], bool]) -> bool:
    call = step.node
    if not isinstance(call, ast.Call):
        return False
    for keyword in call.keywords:
        if keyword.arg is None:
            return True
        for sub in walk(keyword.value):
            if (isinstance(sub, ast.Constant) and sub.value == keyword.arg) or (
                isinstance(sub, ast.Attribute) and sub.attr == keyword.arg
            ):
                return True
    return False


# The tests a table entry's `when` can name.
TESTS: Mapping[str, Callable[[Step, Callable[[ast.AST], bool]], bool]] = {
    "replacement reappears": _replacement_reappears,
    "function argument": _function_argument,
    "arguments read the receiver": _arguments_read_receiver,
    "filter of the receiver": _filter_of_receiver,
    "assigns from the columns it assigns": _assigns_from_assigned,
}


@dataclass(frozen=True, slots=True)
class Judged:
    verdict: str
    why: str
    needs: tuple[str, ...]
    gives: str | None


def _judge(
    step: Step, is_self: Callable[[ast.AST], bool], resolve: Resolve, classes: Mapping[str, str]
) -> Judged:
    entry = table()[step.section].get(step.key)
    if entry is None:
        return Judged(UNKNOWN, "is not in the idempotence table", (), None)
    verdict, why = entry.verdict, entry.why
    for cond in entry.when:
        if _holds_condition(cond, step, is_self):
            verdict, why = cond.verdict, cond.why
            break
    gives = entry.gives
    if gives == "dtype argument":
        gives = _dtype_kind(step.node)
    if entry.callable:
        inner = _callable_entry(step.node, resolve, classes)
        if inner is not None:
            verdict, why, gives = inner.verdict, inner.why or why, inner.gives
            return Judged(verdict, why, entry.needs + inner.needs, gives)
    return Judged(verdict, why, entry.needs, gives)


def _dtype_kind(call: ast.AST) -> str | None:
    if not isinstance(call, ast.Call):
        return None
    node = call.args[0] if call.args else _keyword(call, "dtype")
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _DTYPE_KINDS.get(node.value)
    name = dotted_name(node)
    return _DTYPE_KINDS.get(name.rsplit(".", 1)[-1]) if name is not None else None


def _callable_entry(call: ast.AST, resolve: Resolve, classes: Mapping[str, str]) -> Judged | None:
    """`s.map(str)`, `s.apply(pd.to_numeric)`: the function's own entry; a mapping maps values
    it produced through it again."""
    if not isinstance(call, ast.Call):
        return None
    func = call.args[0] if call.args else _keyword(call, "func") or _keyword(call, "arg")
    if func is None:
        return None
    if isinstance(func, ast.Dict):
        return Judged(NO, "maps the mapped values again", (), None)
    name = dotted_name(func)
    if name is None:
        return None
    functions = table()["functions"]
    entry = functions.get(_qualified(name, resolve))
    if entry is None and name.startswith("str."):
        entry = table()["methods"].get(name)
    if entry is None:
        return None
    return Judged(entry.verdict, entry.why, entry.needs, entry.gives)


def _meets(kind: str | None, needs: tuple[str, ...]) -> bool:
    if kind is None or not needs:
        return True
    return kind in needs or (PANDAS in needs and kind not in _NOT_PANDAS)


def rerun(
    found: list[Step],
    is_self: Callable[[ast.AST], bool],
    resolve: Resolve,
    classes: Mapping[str, str],
    *,
    stored_as_item: bool = False,
) -> Rerun:
    """The verdict of applying `found` (first run first) to its own result."""
    judged = [_judge(s, is_self, resolve, classes) for s in found]
    ops = tuple(describe(s.section, s.key) for s in found)
    for step, j in zip(found, judged, strict=True):
        if j.verdict == NO:
            return Rerun(ops, False, f"{describe(step.section, step.key)} {j.why}")
    for step, j in zip(found, judged, strict=True):
        if j.verdict != YES:
            return Rerun(ops, None, f"{describe(step.section, step.key)} {j.why}")
    kind: str | None = None
    for j in judged:  # the first run, from a value of unknown kind
        kind = j.gives or kind
    if stored_as_item and kind in _NOT_PANDAS:
        kind = None  # stored into a table, an array or a list becomes a column again
    for step, j in zip(found, judged, strict=True):  # the second run
        if not _meets(kind, j.needs):
            needs = " or ".join(j.needs)
            op = describe(step.section, step.key)
            return Rerun(
                ops, False, f"the second run fails: {op} needs {needs}, the first run leaves {kind}"
            )
        kind = j.gives or kind
    return Rerun(ops, True, "")


def judge_value(
    value: ast.AST,
    is_self: Callable[[ast.AST], bool],
    resolve: Resolve,
    classes: Mapping[str, str],
    *,
    stored_as_item: bool = False,
) -> Rerun:
    """What running `target = value` again does, where `value` reads the target (`is_self`)."""
    found = steps_of(value, is_self, resolve, classes)
    if found is None:
        return Rerun((), None, "computes it from its own value in a way nb2prod does not follow")
    return rerun(found, is_self, resolve, classes, stored_as_item=stored_as_item)


def judge_call(
    call: ast.Call,
    receiver: ast.AST,
    is_self: Callable[[ast.AST], bool],
    resolve: Resolve,
    classes: Mapping[str, str],
) -> Rerun:
    """What running `receiver.method(...)` again does, the call changing its receiver in place."""
    assert isinstance(call.func, ast.Attribute)
    accessor = _accessor(receiver)
    key = call.func.attr
    if accessor is not None and isinstance(receiver, ast.Attribute):
        key, receiver = f"{accessor}.{key}", receiver.value
    return rerun([Step("methods", key, call, receiver)], is_self, resolve, classes)


def judge_operation(section: str, key: str) -> Rerun:
    """What running an augmented assignment (`+=`) or a `del` again does."""
    step = Step(section, key, ast.Pass(), None)
    return rerun([step], lambda _n: False, lambda _n: None, {})


def value_kind(value: ast.AST, resolve: Resolve) -> str | None:
    """The kind of values an expression makes, where the table knows it (`float(...)`,
    `.astype(int)`, `pd.to_numeric(...)`, a comprehension of those, a constant)."""
    if isinstance(value, ast.Constant):
        if isinstance(value.value, bool):
            return "bool"
        if isinstance(value.value, (int, float)):
            return "number"
        return "text" if isinstance(value.value, str) else None
    if isinstance(value, (ast.ListComp, ast.GeneratorExp)):
        return value_kind(value.elt, resolve)
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Attribute) and not (
            isinstance(func.value, ast.Name) and resolve(func.value.id) is not None
        ):
            accessor = _accessor(func.value)
            key = f"{accessor}.{func.attr}" if accessor else func.attr
            entry = table()["methods"].get(key)
            library = library_function(func.attr)
            if entry is None and library is not None:
                entry = table()["functions"][library]
            if entry is None:
                return None
            return _dtype_kind(value) if entry.gives == "dtype argument" else entry.gives
        name = dotted_name(func)
        if name is None:
            return None
        entry = table()["functions"].get(_qualified(name, resolve))
        return entry.gives if entry is not None else None
    return None
