"""The fixture program (nb2prod/verify/programs/golden_fixtures.py) and the tests it feeds.

A small package is written in tmp_path with values "captured" from a notebook run; the fixture
program runs in its own process, records golden inputs and outputs, contracts and edge cases,
and the generated tests (golden, contracts, edge cases, pipeline) pass in the package's own
pytest run, with the vendored comparer and edge-case helpers and without nb2prod.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pandas as pd

from nb2prod.convert.plan import Plan
from nb2prod.verify.fixtures import write_golden_tests

FILES = {
    "__init__.py": "",
    "config.py": "class Config:\n    pass\n",
    "data.py": """
        import pandas as pd

        def load():
            return pd.DataFrame({"income": [10.0, 20.0, 30.0], "debt": [1.0, 4.0, 9.0]})

        def load_grid():
            return pd.DataFrame({0: [1, 2, 3], 1: [4, 5, 6]})  # labels that are not text
    """,
    "features.py": """
        def build_features(df):
            return df.assign(ratio=df["debt"] / df["income"])

        def scale(grid):
            return grid * 2
    """,
    "pipeline.py": """
        from dataclasses import dataclass

        from pkg.data import load, load_grid
        from pkg.features import build_features, scale

        @dataclass
        class Results:
            df: object = None
            features: object = None
            grid: object = None
            scaled: object = None

        def run(config):
            df, grid = load(), load_grid()
            return Results(df, build_features(df), grid, scale(grid))
    """,
}


def _function(
    name: str, module: str, params: tuple[str, ...], returns: tuple[str, ...]
) -> SimpleNamespace:
    role = "data" if module == "data" else "features"
    return SimpleNamespace(
        name=name,
        module=module,
        params=params,
        returns=returns,
        role=SimpleNamespace(value=role),
        config_names=(),
        takes_config=False,
        statements=(),
    )


def _plan(root: Path, functions: list[SimpleNamespace]) -> object:
    """The parts of a Plan the fixture writer reads: a notebook beside the package."""
    return SimpleNamespace(
        package="pkg",
        functions=functions,
        notebook_path=str(root / "notebook.ipynb"),
        base_dir=".",
        result_fields=tuple(n for f in functions for n in f.returns),
    )


def _package(root: Path) -> Path:
    src = root / "src" / "pkg"
    src.mkdir(parents=True)
    for name, text in FILES.items():
        (src / name).write_text(textwrap.dedent(text))
    (root / "tests").mkdir()
    return root


def test_fixture_program_records_what_the_generated_tests_replay(tmp_path: Path) -> None:
    package = _package(tmp_path / "package")
    captured = tmp_path / "captured"  # as the notebook's run left them: one pickle per function
    captured.mkdir()
    df = pd.DataFrame({"income": [10.0, 20.0, 30.0], "debt": [1.0, 4.0, 9.0]})
    grid = pd.DataFrame({0: [1, 2, 3], 1: [4, 5, 6]})
    for function, values in (("load", {"df": df}), ("load_grid", {"grid": grid})):
        stored = {k: pickle.dumps(v) for k, v in values.items()}
        (captured / f"{function}.pkl").write_bytes(pickle.dumps(stored))
    plan = _plan(
        tmp_path,
        [
            _function("load", "data", (), ("df",)),
            _function("load_grid", "data", (), ("grid",)),
            _function("build_features", "features", ("df",), ("features",)),
            _function("scale", "features", ("grid",), ("scaled",)),
        ],
    )
    work = tmp_path / "work"
    work.mkdir()
    report = write_golden_tests(cast(Plan, plan), captured, package, work)

    assert report == dict.fromkeys(
        ("load", "load_grid", "build_features", "scale"), "golden test on sample inputs"
    )
    fixtures = package / "tests" / "fixtures"
    edges = json.loads((fixtures / "build_features" / "edge_cases.json").read_text())
    assert [(e["case"], e["column"]) for e in edges] == [
        ("empty", None),
        ("nan", "income"),
        ("zero_denominator", "income"),
    ]
    assert json.loads((fixtures / "scale" / "contracts.json").read_text())["grid"]["non_null"] == [
        "0",
        "1",
    ]
    tests = sorted(p.name for p in (package / "tests").glob("test_*.py"))
    assert tests == ["test_contracts.py", "test_edges.py", "test_golden.py", "test_pipeline.py"]

    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "failed" not in done.stdout and " passed" in done.stdout


def test_a_failing_fixture_run_says_why_for_every_function(tmp_path: Path) -> None:
    package = _package(tmp_path / "package")
    (package / "src" / "pkg" / "config.py").write_text("raise ImportError('no config here')\n")
    captured = tmp_path / "captured"
    captured.mkdir()
    plan = _plan(tmp_path, [_function("load", "data", (), ("df",))])
    report = write_golden_tests(cast(Plan, plan), captured, package, tmp_path)
    assert report == {"load": "no golden test: ImportError: no config here"}
    assert not (package / "tests" / "test_golden.py").exists()
