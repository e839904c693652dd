"""Clock readings: told apart from results by how the function computes them."""

from __future__ import annotations

from pathlib import Path

from nb2prod.load import load
from nb2prod.plan import make_plan
from nb2prod.verify import FunctionVerdict, ValueCheck, _clock_names, _mark_nondeterministic
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
    path = write(tmp_path / "timed.ipynb", notebook(code(SOURCE, 1), code("print(minutes, total)", 2)))
    return make_plan(load(str(path)))


def test_names_computed_from_a_clock_are_found_through_assignments(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    function = next(f for f in plan.functions if "elapsed" in f.returns)
    names = _clock_names(function)
    assert {"start", "elapsed", "minutes"} <= names
    assert not names & {"weights", "total"}


def test_a_differing_clock_reading_is_not_compared_but_other_values_are(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    function = next(f for f in plan.functions if "minutes" in f.returns)
    other = next(n for n in function.returns if n != "minutes")
    verdict = FunctionVerdict(function.name, function.module, function.cells, "differs",
                              (ValueCheck(function.name, "minutes", "differs", "0.01 vs 0.02"),
                               ValueCheck(function.name, other, "differs", "1 vs 2")))
    first = _Captured({function.name: {"minutes": 0.01, other: 1.0}})
    second = _Captured({function.name: {"minutes": 0.02, other: 1.0}})
    from nb2prod.compare import compare

    (marked,) = _mark_nondeterministic([verdict], first, second, compare, plan)  # type: ignore[arg-type]
    by_name = {c.name: c for c in marked.values}
    assert by_name["minutes"].verdict == "display" and "clock reading" in by_name["minutes"].detail
    # the other value is the same in both notebook runs: a real difference the package made
    assert by_name[other].verdict == "differs" and marked.verdict == "differs"

    # a value that is not a number is never excused as a clock reading
    first.values[function.name]["minutes"] = "a"
    second.values[function.name]["minutes"] = "b"
    (again,) = _mark_nondeterministic([verdict], first, second, compare, plan)  # type: ignore[arg-type]
    assert {c.name: c for c in again.values}["minutes"].verdict == "unverified"
