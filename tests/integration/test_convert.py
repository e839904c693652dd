"""`nb2prod convert` end to end on the demo: roles, static check, atomic write, a package that runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod.cli import ExitCode, main
from nb2prod.convert.build import build
from nb2prod.convert.plan import make_plan
from nb2prod.convert.render import MARKER
from nb2prod.notebook.load import load
from tests.helpers import code, md, notebook, write

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"

# cell -> roles of its statements, in order (the demo's expected split, checked by hand)
DEMO_ROLES = {
    1: ["import"] * 7 + ["exploration"],
    2: ["config", "data", "config", "config", "config", "config", "config", "config"],
    4: ["data"],
    5: ["data", "data", "data", "exploration"],
    6: ["data", "exploration"],
    8: ["exploration"],
    9: ["exploration"],
    10: ["exploration"],
    11: ["exploration"] * 3,
    12: ["exploration"] * 5,
    13: ["features"] * 3,
    15: ["features"],
    16: ["config", "config", "features"],
    17: ["features", "features", "features", "exploration"],
    18: ["config", "features", "features", "exploration"],
    20: ["model", "exploration"],
    21: ["model", "model"],
    22: ["model", "model", "exploration"],
    23: ["exploration"],
    25: ["business"],
    26: ["business", "exploration", "exploration"],
    27: ["business", "exploration"],
    28: ["exploration"],
}


def test_demo_roles_are_exactly_as_expected() -> None:
    plan = make_plan(load(DEMO))
    got: dict[int, list[str]] = {}
    for planned in plan.statements:
        got.setdefault(planned.statement.cell, []).append(planned.role.value)
    assert got == DEMO_ROLES
    assert all(p.reason for p in plan.statements)


def test_demo_functions_and_signatures() -> None:
    plan = make_plan(load(DEMO))
    by_name = {f.name: f for f in plan.functions}
    assert by_name["build_features"].params == ("df",)
    assert by_name["build_features"].returns[:3] == ("df_feat", "X", "y")
    assert by_name["train_model"].params == ("X", "y")
    assert by_name["apply_business_rules"].module == "business"
    assert set(by_name["apply_business_rules"].params) == {"df_feat", "X_test", "proba_test"}
    assert [f.module for f in plan.functions].count("model") == 1
    assert len(set(by_name)) == len(plan.functions)  # names never collide
    assert not any(name.startswith("cell") for name in by_name)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("demo")
    shutil.copy(DEMO, work / DEMO.name)
    assert (
        main(["convert", str(work / DEMO.name), "--out", str(work / "pkg"), "--no-verify"])
        == ExitCode.OK
    )
    return work


def test_package_layout(converted: Path) -> None:
    pkg = converted / "pkg"
    for name in ("config", "data", "features", "model", "business", "pipeline", "__main__"):
        assert (pkg / "src" / "credit_approval" / f"{name}.py").is_file()
    assert (pkg / "pyproject.toml").is_file() and (pkg / MARKER).is_file()
    report = json.loads((pkg / "nb2prod-report.json").read_text())
    assert {s["role"] for s in report["statements"]} >= {
        "config",
        "data",
        "features",
        "model",
        "business",
    }
    assert "| cell | statement | role | went to | why |" in (pkg / "nb2prod-report.md").read_text()


def test_package_is_ruff_clean(converted: Path) -> None:
    # ruff's default rules, run from the package's root (its pyproject.toml has no ruff settings)
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=converted / "pkg",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_package_runs_and_config_overrides(converted: Path) -> None:
    env = {
        "PYTHONPATH": str(converted / "pkg" / "src"),
        "MPLBACKEND": "Agg",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "credit_approval", "--pd-threshold", "0.05"],
        cwd=converted,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "scored:" in done.stdout and "auc:" in done.stdout
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(converted / "pkg" / "tests"),
        ],
        cwd=converted,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert tests.returncode == 0, tests.stdout


def test_rendering_is_stable_and_notebook_untouched() -> None:
    before = DEMO.read_bytes()
    _, first = build(str(DEMO))
    _, second = build(str(DEMO))
    assert first.files == second.files
    assert DEMO.read_bytes() == before


def test_refuses_foreign_folder_and_notebook_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write(
        tmp_path / "a.ipynb",
        notebook(
            md("## Load"),
            code("import pandas as pd\nx = pd.Series([1, 2])", 1),
            code("y = x * 2", 2),
        ),
    )
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    assert main(["convert", str(nb), "--out", str(foreign), "--no-verify"]) == ExitCode.USAGE
    assert "was not created by nb2prod" in capsys.readouterr().err
    assert (foreign / "keep.txt").read_text() == "mine"
    assert (
        main(["convert", str(nb), "--out", str(tmp_path), "--force", "--no-verify"])
        == ExitCode.USAGE
    )
    assert "notebook's own folder" in capsys.readouterr().err
    assert nb.is_file()
    assert (
        main(["convert", str(nb), "--out", str(foreign), "--force", "--no-verify"]) == ExitCode.OK
    )
    assert not (foreign / "keep.txt").exists() and (foreign / MARKER).is_file()
    # a second convert replaces nb2prod's own output without --force
    assert main(["convert", str(nb), "--out", str(foreign), "--no-verify"]) == ExitCode.OK


def test_unparsable_cell_is_refused_with_its_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write(tmp_path / "bad.ipynb", notebook(code("x = 1", 1), code("print 'py2'", 2)))
    assert main(["convert", str(nb), "--no-verify"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"{nb}:cell 1" in err and "does not parse" in err
    assert not (tmp_path / "bad").exists()
