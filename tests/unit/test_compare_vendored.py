"""One comparator: the golden tests of a generated package compare as `nb2prod verify` does.

`nb2prod.verify.compare` is copied byte for byte into the package's tests/; here a package is
generated in tmp_path with golden tests on values at the edge of the tolerances, and its own
pytest run must pass exactly where verify's comparison says "equal".
"""

from __future__ import annotations

import ast
import importlib
import math
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import cast

import numpy as np
import pandas as pd
import pytest

from nb2prod.convert.plan import Plan
from nb2prod.convert.render import render_template
from nb2prod.core.vocabulary import Verdict
from nb2prod.verify.capture import Captured
from nb2prod.verify.compare import DEFAULT_TOLERANCES, compare
from nb2prod.verify.fixtures import COMPARER, EDGES, vendor, vendored_sources
from nb2prod.verify.values import compare_functions

ROOT = Path(__file__).resolve().parents[2]
RTOL, ATOL = DEFAULT_TOLERANCES.rtol, DEFAULT_TOLERANCES.atol
# packages a vendored file may use when the values hold them (guarded: imported lazily)
OPTIONAL = {"numpy", "pandas"}


def _moved(x: float, by: float) -> float:
    """`x` moved by `by` times the tolerance verify allows around it."""
    return x + by * max(RTOL * abs(x), ATOL)


def _frame(score: float) -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2], "score": [0.5, score]}, index=pd.Index([7, 8], name="row"))


def _ols(scale: float) -> object:
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    x = sm.add_constant(rng.normal(size=(30, 2)))
    y = x @ np.array([1.0, 2.0, -1.0]) + rng.normal(size=30)
    return sm.OLS(y * scale, x).fit()


# (id, expected, actual): just inside and just outside rtol and atol, for each kind of value
BOUNDARY: list[tuple[str, Callable[[], tuple[object, object]]]] = [
    ("float_rtol_inside", lambda: (1.0, _moved(1.0, 0.9))),
    ("float_rtol_outside", lambda: (1.0, _moved(1.0, 1.1))),
    ("float_atol_inside", lambda: (0.0, _moved(0.0, 0.9))),
    ("float_atol_outside", lambda: (0.0, _moved(0.0, 1.1))),
    ("float_large_inside", lambda: (1234.5, _moved(1234.5, 0.9))),
    ("float_large_outside", lambda: (1234.5, _moved(1234.5, 1.1))),
    ("numpy_float_inside", lambda: (np.float64(2.0), np.float64(_moved(2.0, 0.9)))),
    ("array_rtol_inside", lambda: (np.ones(4), np.full(4, _moved(1.0, 0.9)))),
    ("array_rtol_outside", lambda: (np.ones(4), np.full(4, _moved(1.0, 1.1)))),
    ("array_atol_inside", lambda: (np.zeros(3), np.full(3, _moved(0.0, 0.9)))),
    ("array_atol_outside", lambda: (np.zeros(3), np.full(3, _moved(0.0, 1.1)))),
    ("column_rtol_inside", lambda: (_frame(0.25), _frame(_moved(0.25, 0.9)))),
    ("column_rtol_outside", lambda: (_frame(0.25), _frame(_moved(0.25, 1.1)))),
    ("column_atol_inside", lambda: (_frame(0.0), _frame(_moved(0.0, 0.9)))),
    ("column_atol_outside", lambda: (_frame(0.0), _frame(_moved(0.0, 1.1)))),
    ("series_inside", lambda: (_frame(0.25)["score"], _frame(_moved(0.25, 0.9))["score"])),
    ("nested_dict_outside", lambda: ({"m": [1.0, 2.0]}, {"m": [1.0, _moved(2.0, 1.1)]})),
    ("nan_nan", lambda: (math.nan, math.nan)),
    ("int_exact", lambda: (100000, 100001)),
    ("statsmodels_equal", lambda: (_ols(1.0), _ols(1.0))),
    ("statsmodels_differs", lambda: (_ols(1.0), _ols(1.0 + 10 * RTOL))),
]


def _values() -> list[tuple[str, object, object]]:
    return [(name, *make()) for name, make in BOUNDARY]


def test_vendored_files_are_the_comparer_byte_for_byte(tmp_path: Path) -> None:
    vendor(tmp_path)
    source = ROOT / "nb2prod" / "verify" / "compare"
    copied = sorted(p.name for p in (tmp_path / COMPARER).iterdir())
    assert copied == sorted(p.name for p in source.glob("*.py"))
    for name in copied:
        assert (tmp_path / COMPARER / name).read_bytes() == (source / name).read_bytes()
    edges = ROOT / "nb2prod" / "verify" / "programs" / "edges.py"
    assert (tmp_path / EDGES).read_bytes() == edges.read_bytes()


def _imports(text: str) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            yield from ((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


@pytest.mark.parametrize("relative", sorted(vendored_sources()))
def test_vendored_file_needs_no_nb2prod(relative: str) -> None:
    """A generated package's tests run without nb2prod: standard library, numpy, pandas only."""
    for module, level in _imports(vendored_sources()[relative].decode("utf-8")):
        top = module.split(".")[0]
        assert level == 1 or top in sys.stdlib_module_names or top in OPTIONAL, (
            f"{relative} imports {module!r}"
        )


@pytest.fixture
def vendored(tmp_path: Path) -> Iterator[ModuleType]:
    """The package's copy, imported from its tests/ folder as the golden tests import it."""
    vendor(tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(COMPARER)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.split(".")[0] == COMPARER]:
            del sys.modules[name]


def test_the_copy_gives_the_same_verdicts_and_details(vendored: ModuleType) -> None:
    for name, expected, actual in _values():
        ours, theirs = compare(expected, actual), vendored.compare(expected, actual)
        assert (theirs.verdict, theirs.detail) == (ours.verdict, ours.detail), name
        assert theirs.verdict in ("equal", "differs"), f"{name}: {theirs.detail}"
    assert (vendored.DEFAULT_TOLERANCES.rtol, vendored.DEFAULT_TOLERANCES.atol) == (RTOL, ATOL)


# Values verify leaves out, and the generated test must leave out too: (id, expected, actual,
# the code computes it from a clock)
CLOCK = "value = time.perf_counter() - start"
EXCLUDED: list[tuple[str, Callable[[], tuple[object, object]], bool]] = [
    ("clock_reading_moved", lambda: (1.5, 2.5), True),
    ("clock_reading_same", lambda: (1.5, 1.5), True),
    ("number_moved", lambda: (1.5, 2.5), False),
    ("clock_name_not_a_duration", lambda: ("fast", "slow"), True),
    ("figures", lambda: (_figure(), _figure()), False),
]


def _figure() -> object:
    from matplotlib.figure import Figure

    return Figure()


def _all_cases() -> list[tuple[str, object, object, bool]]:
    return [(n, e, a, False) for n, e, a in _values()] + [
        (name, *make(), clock) for name, make, clock in EXCLUDED
    ]


def _verify_says_equivalent(cases: list[tuple[str, object, object, bool]]) -> dict[str, bool]:
    """Verify's own per-function verdicts on these values: no difference and nothing unverified."""
    functions = [
        SimpleNamespace(
            name=name,
            module="values",
            cells=(0,),
            returns=("value",),
            statements=[SimpleNamespace(tree=ast.parse(CLOCK))] if clock else [],
        )
        for name, _, _, clock in cases
    ]
    plan = cast(Plan, SimpleNamespace(package="pkg", functions=functions))
    expected = Captured({name: {"value": e} for name, e, _, _ in cases}, ())
    actual = Captured({name: {"value": a} for name, _, a, _ in cases}, ())
    verdicts = compare_functions(plan, expected, actual, None)
    return {f.function: f.verdict in (Verdict.EQUIVALENT, Verdict.NOT_COMPARED) for f in verdicts}


def _generated_package(root: Path, cases: list[tuple[str, object, object, bool]]) -> Path:
    """A package whose golden test expects each `expected` and whose function returns `actual`."""
    src = root / "src" / "pkg"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text("")
    (src / "config.py").write_text("class Config:\n    pass\n")
    actual_dir = root / "actual"
    actual_dir.mkdir()
    functions = ["import pickle", "from pathlib import Path", ""]
    rendered = []
    for name, expected, actual, clock in cases:
        (actual_dir / f"{name}.pkl").write_bytes(pickle.dumps(actual))
        functions.append(
            f"def {name}():\n"
            f"    return pickle.loads((Path({str(actual_dir)!r}) / {name + '.pkl'!r}).read_bytes())\n"
        )
        fixture = root / "tests" / "fixtures" / name
        fixture.mkdir(parents=True)
        (fixture / "inputs.pkl").write_bytes(pickle.dumps({}))
        (fixture / "outputs.pkl").write_bytes(pickle.dumps({"value": expected}))
        rendered.append(
            {
                "module": "values",
                "name": name,
                "params": [],
                "returns": ["value"],
                "config": False,
                "not_compared": [],  # nothing left out by verify's verdicts: the test decides
                "clocks": ["value"] if clock else [],
            }
        )
    (src / "values.py").write_text("\n".join(functions))
    vendor(root / "tests")
    (root / "tests" / "test_golden.py").write_text(
        render_template("test_golden.py.j2", package="pkg", cases=rendered, project_root="."),
        "utf-8",
    )
    return root


def test_generated_golden_test_agrees_with_verify_at_the_tolerance_boundary(tmp_path: Path) -> None:
    cases = _all_cases()
    package = _generated_package(tmp_path / "package", cases)
    env = {**os.environ, "PYTHONPATH": str(package / "src"), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "tests"],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = re.findall(r"^(PASSED|FAILED) \S+::test_golden\[(\w+)\]", done.stdout, re.M)
    passed = {case: status == "PASSED" for status, case in found}
    assert sorted(passed) == sorted(name for name, *_ in cases), done.stdout[-3000:]
    verify = _verify_says_equivalent(cases)
    assert passed == verify
    assert set(verify.values()) == {True, False}, "the boundary cases pass and fail both ways"
    # and both agree with compare() itself on every value verify does compare
    for name, expected, actual, _ in cases[: len(BOUNDARY)]:
        assert verify[name] == (compare(expected, actual).verdict == "equal"), name
    assert not verify["number_moved"] and verify["clock_reading_moved"] and verify["figures"]
