"""The evidence behind a verdict: what the capture keeps, and when a difference is proven.

- The capture describes objects of the run's own classes (the notebook's `__main__`, the
  generated package) by their public state, so nb2prod compares them without the class.
- It records a digest of the global random generators at each boundary: where the notebook and
  the package stand elsewhere, the package draws at other points than the notebook.
- A difference is NB401 only when a second fresh run of the notebook gives the notebook's value
  again; otherwise the value is unverified, whatever the static rules found.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from nb2prod.core.vocabulary import Verdict
from nb2prod.verify.capture import Captured, read_captures
from nb2prod.verify.compare import PublicState, compare
from nb2prod.verify.programs import program
from nb2prod.verify.values import (
    OTHER_SEED,
    SEED,
    FunctionVerdict,
    ValueCheck,
    confirm_differences,
    seeds_to_confirm,
)

# --- the capture hooks, as a kernel runs them ---------------------------------------------------

_RUN = textwrap.dedent(
    """
    import functools, random, sys
    from fractions import Fraction
    import numpy
    sys.path.insert(0, sys.argv[1])
    import helpers  # a module of the project: not installed

    class Part:
        def __init__(self, v):
            self.v = v

    class Fitter:
        def __init__(self):
            self.penalty = 0.5
            self.link = numpy.exp      # behaviour, left out
            self.score = lambda x: x   # would not pickle; left out of the description
            self._fit_time = random.random()

        def fit(self):
            self.parts_ = [Part(1.0), Part(2.0)]
            return self

    class Hidden:
        def __init__(self):
            self._w = [1.0]

    random.seed(0)
    numpy.random.seed(0)
    __nb2prod_capture__("f", {
        "fitter": lambda: Fitter().fit(),
        "nested": lambda: {"models": [Fitter().fit()], "n": 3},
        "hidden": lambda: Hidden(),
        "helper": lambda: helpers.Box(4),
        "library": lambda: Fraction(1, 3),
        "plain": lambda: [1, 2],
    })
    numpy.random.rand()
    __nb2prod_capture__("g", {"x": lambda: 1})
    random.seed(0)
    numpy.random.seed(0)
    __nb2prod_capture__("h", {"x": lambda: 1})
    """
)


def _captured(tmp_path: Path) -> Captured:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "helpers.py").write_text(
        "class Box:\n    def __init__(self, n):\n        self.n = n\n", "utf-8"
    )
    folder = tmp_path / "captured"
    folder.mkdir()
    subprocess.run(
        [sys.executable, "-c", program("capture_hooks") + _RUN, str(tmp_path / "project")],
        check=True,
        timeout=120,
        env={**os.environ, "NB2PROD_CAPTURE_DIR": str(folder)},
        cwd=tmp_path,
    )
    return read_captures(folder)


def test_objects_of_the_runs_own_classes_are_read_as_their_public_state(tmp_path: Path) -> None:
    values = _captured(tmp_path).values["f"]
    fitter = values["fitter"]
    assert isinstance(fitter, PublicState) and fitter.type == "Fitter" and not fitter.private
    assert set(fitter.state) == {"penalty", "parts_"}  # not the function, not the fit time
    assert fitter.state["parts_"] == [
        PublicState("Part", {"v": 1.0}),
        PublicState("Part", {"v": 2.0}),
    ]
    nested = values["nested"]
    assert nested["n"] == 3 and nested["models"][0] == fitter
    hidden = values["hidden"]
    assert hidden == PublicState("Hidden", {"_w": [1.0]}, private=True)
    assert values["helper"] == PublicState("Box", {"n": 4})  # a local module: the project's own
    assert values["library"] == __import__("fractions").Fraction(1, 3)  # installed: the object
    assert values["plain"] == [1, 2]
    assert compare(fitter, nested["models"][0]).verdict == "equal"


def test_the_random_generators_digest_follows_their_state(tmp_path: Path) -> None:
    states = _captured(tmp_path).random_states
    assert states["f"] and states["g"] and states["h"]
    assert states["f"] != states["g"]  # a draw in between
    assert states["f"] == states["h"]  # seeded again: the same state


def test_golden_fixture_reader_ignores_what_is_stored_beside_the_values(tmp_path: Path) -> None:
    _captured(tmp_path)
    with open(tmp_path / "captured" / "f.pkl", "rb") as handle:
        stored = pickle.load(handle)
    assert pickle.loads(stored["plain"]) == [1, 2]  # values keep their names and format


# --- when a difference is proven ---------------------------------------------------------------


def _functions(*names: str) -> list[FunctionVerdict]:
    return [
        FunctionVerdict(
            name,
            "features",
            (1,),
            Verdict.DIFFERS,
            (ValueCheck(name, "x", Verdict.DIFFERS, "1 vs 2"),),
        )
        for name in names
    ]


def _run(values: dict[str, Any], states: dict[str, str] | None = None) -> Captured:
    return Captured({f: {"x": v} for f, v in values.items()}, (), states or {})


def _verdicts(functions: list[FunctionVerdict]) -> dict[str, tuple[Verdict, str]]:
    return {f.function: (f.values[0].verdict, f.values[0].detail) for f in functions}


def test_a_difference_stands_only_when_a_second_run_gives_the_value_again() -> None:
    functions = _functions("same", "moves", "lost")
    first = _run({"same": 1, "moves": np.arange(3.0), "lost": 5})
    package = _run({"same": 2, "moves": np.arange(3.0) + 1, "lost": 6})
    assert seeds_to_confirm(functions, first, package) == (SEED,)
    second = _run({"same": 1, "moves": np.arange(3.0) * 7})  # `lost` never reached
    verdicts = _verdicts(confirm_differences(functions, first, package, {SEED: second}))
    assert verdicts["same"] == (Verdict.DIFFERS, "1 vs 2")
    assert verdicts["moves"][0] is Verdict.UNVERIFIED
    assert "nondeterministic" in verdicts["moves"][1] and "two fresh runs" in verdicts["moves"][1]
    assert verdicts["lost"][0] is Verdict.UNVERIFIED and "not confirmed" in verdicts["lost"][1]


def test_draws_out_of_step_need_a_run_from_another_seed() -> None:
    functions = _functions("drawn", "counted")
    first = _run({"drawn": 0.5, "counted": 5}, {"drawn": "a", "counted": "a"})
    package = _run({"drawn": 0.7, "counted": 6}, {"drawn": "b", "counted": "b"})
    assert seeds_to_confirm(functions, first, package) == (OTHER_SEED,)
    # seeded like the first run, the notebook would give 0.5 again: no evidence about the package
    same_seed = _run({"drawn": 0.5, "counted": 5})
    other_seed = _run({"drawn": 0.9, "counted": 5})
    verdicts = _verdicts(
        confirm_differences(functions, first, package, {SEED: same_seed, OTHER_SEED: other_seed})
    )
    assert verdicts["counted"][0] is Verdict.DIFFERS  # does not depend on the generators
    assert verdicts["drawn"][0] is Verdict.UNVERIFIED and "another seed" in verdicts["drawn"][1]


def test_no_second_run_means_no_claim_of_a_difference() -> None:
    functions = _functions("f")
    first, package = _run({"f": 1}), _run({"f": 2})
    (check,) = confirm_differences(functions, first, package, {})[0].values
    assert check.verdict is Verdict.UNVERIFIED and "not confirmed" in check.detail


def test_values_that_do_not_differ_need_no_second_run() -> None:
    equal = FunctionVerdict(
        "f", "m", (1,), Verdict.EQUIVALENT, (ValueCheck("f", "x", Verdict.EQUIVALENT, ""),)
    )
    first = _run({"f": 1}, {"f": "a"})
    assert seeds_to_confirm([equal], first, _run({"f": 1}, {"f": "b"})) == ()
