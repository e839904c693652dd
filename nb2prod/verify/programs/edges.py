# Edge cases of a feature function, one source for the two places that use them: the fixture
# program (joined before golden_fixtures, it records how the function behaves on each case) and
# the generated package's tests/test_contracts.py, which replays them from a byte-for-byte copy
# of this file (tests/_nb2prod_edges.py). Cases: an empty frame; a NaN in a numeric column the
# function names; zeros in a column it divides by. Standard library and pandas only.
import ast
import inspect
from collections.abc import Callable, Mapping
from typing import Any

EdgeCase = tuple[str, str | None]  # (case, column): ("empty", None), ("nan", "income"), ...


def _trees(function: Callable[..., object]) -> list[ast.AST]:
    """Parse the function and the package's own functions it calls (at most 20)."""
    package = function.__module__.split(".")[0]
    trees: list[ast.AST] = []
    todo, seen = [function], set[Callable[..., object]]()
    while todo and len(seen) < 20:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            tree = ast.parse(inspect.getsource(current).strip())
        except (OSError, TypeError, SyntaxError):
            continue
        trees.append(tree)
        namespace = getattr(current, "__globals__", {})
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                callee = namespace.get(node.func.id)
                if inspect.isfunction(callee) and callee.__module__.split(".")[0] == package:
                    todo.append(callee)
    return trees


def edge_cases_for(
    function: Callable[..., object], frame: Any, contract: Mapping[str, Any]
) -> list[EdgeCase]:
    """(case, column) pairs worth recording for `frame`, judged from the function's own code."""
    import pandas as pd

    cases: list[EdgeCase] = [("empty", None)]
    nodes = [n for tree in _trees(function) for n in ast.walk(tree)]
    named = {n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    divisors: set[object] = set()
    for node in nodes:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)):
            right = node.right
            if isinstance(right, ast.Subscript) and isinstance(right.slice, ast.Constant):
                divisors.add(right.slice.value)
            elif isinstance(right, ast.Attribute):
                divisors.add(right.attr)
    numeric = [
        str(c)
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    for column in numeric:
        if column in named and column in contract["non_null"]:
            cases.append(("nan", column))
            break
    for column in numeric:
        if column in divisors:
            cases.append(("zero_denominator", column))
            break
    return cases


def apply_edge(frame: Any, case: str, column: str | None) -> Any:
    """The input for one edge case: a copy, never the recorded frame itself."""
    if case == "empty":
        return frame.iloc[0:0]
    changed = frame.copy()
    position = [str(c) for c in changed.columns].index(str(column))
    if case == "nan":
        changed[changed.columns[position]] = changed.iloc[:, position].astype("float64")
        changed.iloc[0, position] = float("nan")
    else:
        changed.iloc[:, position] = 0
    return changed


def describe(outputs: Mapping[str, object]) -> dict[str, Any]:
    """What an edge case is checked for: each returned frame's columns, and which hold non-finite values."""
    import numpy as np
    import pandas as pd

    described = {}
    for name, value in outputs.items():
        if isinstance(value, pd.Series):
            value = value.to_frame()
        if isinstance(value, pd.DataFrame):
            numbers = value.select_dtypes("number")
            non_finite = [
                str(c)
                for c in numbers.columns
                if not np.isfinite(numbers[c].to_numpy(dtype="float64")).all()
            ]
            described[name] = {"columns": [str(c) for c in value.columns], "non_finite": non_finite}
    return {"returns": described}
