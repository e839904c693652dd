"""train.py's steps (nb2prod/convert/train_steps.py): statements cut into step functions run
in order must end as the same statements run in one piece.

Each case is a list of steps (source text); the last step returns `out`, the names the case
checks. The straight run executes the steps' text in one function; the steps run as
`train()` runs them, and also as the Airflow DAG does, through a pickle between steps."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any

import libcst as cst
import pytest

from nb2prod.convert.train_steps import Step, names_of, step_functions

NAMES = ["load_data", "prepare", "fit", "evaluate", "save"]
CONFIG = {"SEED": "config['seed']", "COLS": "config['cols']"}
GIVEN = ("_data",)

CASES: dict[str, list[str]] = {
    "plain": ["a = 1\nb = [a]", "b.append(2)\nc = a + 1", "return (a, b, c)"],
    "both_branches_bind": [
        "if _data is None:\n    df = [1, 2]\nelse:\n    df = [3]",
        "n = len(df)",
        "return (df, n)",
    ],
    "one_branch_binds": [
        "x = 0\nif _data:\n    y = 5",
        "z = x + 1",
        "return (x, z)",
    ],
    "rebound_on_one_path": [
        "v = 1",
        "if _data is None:\n    v = 2",
        "return v",
    ],
    "loop_and_with": [
        "import contextlib\nwith contextlib.nullcontext(3) as h:\n    w = h * 2",
        "for i in range(w):\n    last = i\ntotal = w + last",
        "return (h, w, last, total)",
    ],
    "try_handlers": [
        "try:\n    q = int('x')\nexcept ValueError:\n    q = -1",
        "q += 1",
        "return q",
    ],
    "config_read_and_rebound": [
        "s = SEED",
        "COLS = COLS + ['extra']\nt = SEED * 2",
        "return (s, t, COLS)",
    ],
    "functions_and_comprehensions": [
        "def f(k):\n    return k * 3\nsquares = [f(j) * j for j in range(4)]",
        "g = lambda m: m + squares[-1]\nh = g(2)",
        "return h",
    ],
    "in_place_change_only": [
        "frame = {'a': 1}",
        "frame['b'] = 2",
        "return frame",
    ],
}


def _nodes(source: str) -> tuple[cst.SimpleStatementLine | cst.BaseCompoundStatement, ...]:
    return tuple(cst.parse_module(source + "\n").body)


def _define(code: str) -> dict[str, Any]:
    scope: dict[str, Any] = {"Config": dict, "Mapping": Mapping, "Any": Any, "TrainResult": Any}
    exec(compile(code, "<steps>", "exec"), scope)
    return scope


def _steps(case: list[str]) -> tuple[list[str], dict[str, Any]]:
    steps = [Step(NAMES[-len(case) + i], _nodes(text)) for i, text in enumerate(case)]
    made = "made"
    assert made not in names_of([n for s in steps for n in s.nodes])
    functions = step_functions(steps, CONFIG, GIVEN, made)
    scope = _define("\n\n".join(f.source for f in functions))
    return [f.function for f in functions], scope


def _straight(case: list[str], config: dict[str, Any], data: object) -> object:
    lines = [f"{name} = {expr}" for name, expr in CONFIG.items()]
    body = "\n".join([*lines, *case])
    text = "def run(config, _data):\n" + "".join(f"    {line}\n" for line in body.splitlines())
    result: object = _define(text)["run"](config, data)
    return result


@pytest.mark.parametrize("data", [None, "rows.csv"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_steps_end_as_the_straight_run(name: str, data: object) -> None:
    case = CASES[name]
    config = {"seed": 7, "cols": ["a"]}
    expected = _straight(case, config, data)
    functions, scope = _steps(case)
    # as train() runs them
    made: dict[str, Any] = {"_data": data}
    for function in functions[:-1]:
        made.update(scope[function](config, made))
    assert scope[functions[-1]](config, made) == expected
    # as the DAG runs them: what the steps made goes through a file between two tasks
    made = {"_data": data}
    for function in functions[:-1]:
        made = pickle.loads(pickle.dumps(made))
        made.update(scope[function](config, made))
    assert scope[functions[-1]](config, pickle.loads(pickle.dumps(made))) == expected


def test_a_step_reads_only_what_earlier_steps_made_and_returns_what_later_ones_read() -> None:
    functions, scope = _steps(CASES["plain"])
    assert functions == ["step_fit", "step_evaluate", "step_save"]
    first = scope["step_fit"]({}, {"_data": None})
    assert first == {"a": 1, "b": [1]}  # both read later
    second = scope["step_evaluate"]({}, {"_data": None, **first})
    assert second == {"c": 2}  # b changed in place: not returned, the same object


def test_a_name_bound_on_one_path_is_returned_only_when_bound() -> None:
    _, scope = _steps([*CASES["one_branch_binds"][:1], "print(x, y)", "return 0"])
    assert scope["step_fit"]({}, {"_data": ""}) == {"x": 0}
    assert scope["step_fit"]({}, {"_data": "rows.csv"}) == {"x": 0, "y": 5}
