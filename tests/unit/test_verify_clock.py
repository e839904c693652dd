"""Clock readings: told apart from results by how the function computes them."""

from __future__ import annotations

from pathlib import Path

from nb2prod.convert.plan import make_plan
from nb2prod.notebook.load import load
from nb2prod.verify.values import clock_names, compare_functions
from tests.helpers import code, notebook, write

SOURCE = """\
import time
import numpy as np
start = time.time()
weights = np.arange(3) * 2.0
elapsed = time.time() - start
minutes = elapsed / 60
total = weights.sum()
"""


class _Captured:
    def __init__(self, values: dict[str, dict[str, object]]) -> None:
        self.values = values


def _plan(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = write(
        tmp_path / "timed.ipynb", notebook(code(SOURCE, 1), code("print(minutes, total)", 2))
    )
    return make_plan(load(str(path)))


def test_names_computed_from_a_clock_are_found_through_assignments(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    function = next(f for f in plan.functions if "elapsed" in f.returns)
    names = clock_names(function)
    assert {"start", "elapsed", "minutes"} <= names
    assert not names & {"weights", "total"}


def test_a_differing_clock_reading_is_not_compared_but_other_values_are(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    function = next(f for f in plan.functions if "minutes" in f.returns)
    want = {n: 1.0 for n in function.returns}
    got = {**want, "minutes": 2.0}
    (verdict,) = [
        v
        for v in compare_functions(
            plan,
            _Captured({function.name: want}),  # type: ignore[arg-type]
            _Captured({function.name: got}),
            None,
        )
        if v.function == function.name
    ]
    by_name = {c.name: c for c in verdict.values}
    assert by_name["minutes"].verdict == "display" and "clock reading" in by_name["minutes"].detail
    assert verdict.verdict == "equivalent"

    # a value computed without a clock that differs is a real difference the package made
    other = next(n for n in function.returns if n not in clock_names(function))
    (verdict,) = [
        v
        for v in compare_functions(
            plan,
            _Captured({function.name: want}),  # type: ignore[arg-type]
            _Captured({function.name: {**got, other: 3.0}}),
            None,
        )
        if v.function == function.name
    ]
    assert {c.name: c for c in verdict.values}[
        other
    ].verdict == "differs" and verdict.verdict == "differs"

    # a value that is not a number is never excused as a clock reading
    (verdict,) = [
        v
        for v in compare_functions(
            plan,
            _Captured({function.name: {**want, "minutes": "a"}}),  # type: ignore[arg-type]
            _Captured({function.name: {**want, "minutes": "b"}}),
            None,
        )
        if v.function == function.name
    ]
    assert {c.name: c for c in verdict.values}["minutes"].verdict == "differs"
