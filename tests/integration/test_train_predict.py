"""`train` and `predict` of a converted package, run for real (issue #14, items 1, 3 and 7).

The demo notebook is converted with `nb2prod convert --no-verify`; its package's commands run
in subprocesses (PYTHONPATH=src), as a user runs them. The reference for predict is the
package's own training run in this process: `train()` returns the notebook's held-out rows and
the probabilities the notebook computed for them, and `predict()` on those rows, read back from
the file the notebook read, must give the same probabilities.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
pd = pytest.importorskip("pandas")
pytest.importorskip("skops")
pytestmark = pytest.mark.slow


def _convert(notebook: Path, out: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nb2prod",
            "convert",
            str(notebook),
            "--out",
            str(out),
            "--no-verify",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "pkg"
    _convert(DEMO, out)
    return out


def _run(package: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    return subprocess.run(
        [sys.executable, "-m", "credit_approval", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def trained(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(working folder, artifact folder) of `python -m credit_approval train`."""
    work = tmp_path_factory.mktemp("work")
    done = _run(demo, "train", "--artifacts", str(work / "artifacts"), cwd=work)
    assert done.returncode == 0, done.stderr
    folders = [p for p in (work / "artifacts").iterdir() if p.is_dir()]
    assert len(folders) == 1
    assert f"artifact: {folders[0]}" in done.stdout
    return work, folders[0]


@pytest.fixture()
def package(demo: Path) -> Iterator[ModuleType]:
    """The generated package imported in this process (for the reference values)."""
    sys.path.insert(0, str(demo / "src"))
    try:
        yield importlib.import_module("credit_approval")
    finally:
        sys.path.remove(str(demo / "src"))
        for name in [m for m in sys.modules if m.split(".")[0] == "credit_approval"]:
            del sys.modules[name]


def test_the_demo_gets_train_predict_and_their_scripts(demo: Path) -> None:
    source = demo / "src" / "credit_approval"
    for name in ("train.py", "predict.py", "artifact.py", "rows.py", "pipeline.py"):
        assert (source / name).is_file(), name
    pyproject = (demo / "pyproject.toml").read_text()
    assert 'credit-approval-train = "credit_approval.__main__:train_main"' in pyproject
    assert 'credit-approval-predict = "credit_approval.__main__:predict_main"' in pyproject
    report = json.loads((demo / "nb2prod-report.json").read_text())
    assert report["production"]["train"] and report["production"]["predict"]
    assert report["production"]["metrics"] == ["auc"]
    assert "## Train and predict" in (demo / "nb2prod-report.md").read_text()


def test_the_artifact_folder(trained: tuple[Path, Path]) -> None:
    _, folder = trained
    assert sorted(p.name for p in folder.iterdir()) == [
        "baseline.skops",  # the learned contract and the drift baseline (monitoring.py)
        "metadata.json",
        "model.skops",
        "statistics.skops",  # the median the features take over the training rows
    ]
    metadata = json.loads((folder / "metadata.json").read_text())
    assert 0.5 < metadata["metrics"]["auc"] <= 1.0
    assert [c["name"] for c in metadata["features"]][:3] == ["income", "debt", "age"]
    assert metadata["data"]["files"][0]["path"].endswith("applicants.csv")
    assert metadata["data"]["frames"][0]["shape"] == [2000, 8]
    inputs = {c["name"]: c for c in metadata["inputs"]["df"]}
    assert "default" not in inputs  # the target is never asked of new rows
    assert "applicant_id" not in inputs  # scoring never reads it
    assert inputs["employment_years"]["nulls"] and not inputs["income"]["nulls"]
    assert metadata["config"]["pd_threshold"] == 0.2


def test_predict_gives_the_notebooks_probabilities(package: ModuleType, tmp_path: Path) -> None:
    """In process: train() keeps the notebook's held-out rows and proba_test; predict() on the
    same rows, read back from the file, without the target, gives the same numbers."""
    np = pytest.importorskip("numpy")
    from credit_approval.artifact import load  # type: ignore[import-not-found]
    from credit_approval.config import Config  # type: ignore[import-not-found]
    from credit_approval.predict import predict  # type: ignore[import-not-found]
    from credit_approval.train import train  # type: ignore[import-not-found]

    config = Config(base_dir=str(tmp_path))
    os.chdir(tmp_path)  # the notebook writes data/ relative to where it runs
    result = train(config, artifacts=str(tmp_path / "artifacts"))
    held_out = result.values["X_test"]
    rows = pd.read_csv(tmp_path / "data" / "applicants.csv").loc[held_out.index]
    scored = predict(rows.drop(columns=["default"]), load(result.artifact_dir))
    expected: Any = result.values["proba_test"]
    assert len(scored) == len(rows)
    np.testing.assert_allclose(scored["proba_test"].to_numpy(), expected, rtol=0, atol=1e-12)
    assert "approved" in scored.columns  # the business rules ran
    assert (scored["approved"] == (expected < 0.2) & (scored["loan_to_income"] < 0.5)).all()


def test_predict_command_writes_the_scored_rows(trained: tuple[Path, Path], demo: Path) -> None:
    work, folder = trained
    rows = pd.read_csv(work / "data" / "applicants.csv").drop(columns=["default"]).head(50)
    rows.to_csv(work / "new.csv", index=False)
    done = _run(demo, "predict", "new.csv", "--artifact", str(folder), "--out", "out.csv", cwd=work)
    assert done.returncode == 0, done.stderr
    out = pd.read_csv(work / "out.csv")
    assert len(out) == 50 and out["proba_test"].between(0, 1).all()
    # a config option given to predict reaches the business rules
    done = _run(
        demo,
        "predict",
        "new.csv",
        "--artifact",
        str(folder),
        "--out",
        "all.csv",
        "--pd-threshold",
        "1.01",
        "--max-loan-to-income",
        "1000",
        cwd=work,
    )
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(work / "all.csv")["approved"].all()


def _bad_rows(work: Path) -> dict[str, tuple[str, str]]:
    """name -> (file content written, what the error line must name)."""
    rows = pd.read_csv(work / "data" / "applicants.csv").drop(columns=["default"]).head(20)
    made: dict[str, tuple[str, str]] = {}
    made["missing.csv"] = (rows.drop(columns=["income"]).to_csv(index=False), "'income' is missing")
    wrong = rows.copy()
    wrong["age"] = "forty"
    made["dtype.csv"] = (wrong.to_csv(index=False), "'age' has dtype")
    empty = rows.copy()
    empty.loc[3, "income"] = None
    made["nan.csv"] = (empty.to_csv(index=False), "'income' has 1 missing value(s)")
    made["unreadable.parquet"] = ("not parquet at all", "unreadable.parquet: cannot be read")
    return made


@pytest.mark.parametrize("case", ["missing.csv", "dtype.csv", "nan.csv", "unreadable.parquet"])
def test_bad_input_is_one_line_exit_2_and_no_output(
    trained: tuple[Path, Path], demo: Path, case: str
) -> None:
    work, folder = trained
    content, expected = _bad_rows(work)[case]
    (work / case).write_text(content)
    out = work / f"out-{case}.csv"
    done = _run(demo, "predict", case, "--artifact", str(folder), "--out", str(out), cwd=work)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], done.stderr
    assert not out.exists()


def test_an_artifact_from_other_versions_is_refused(
    trained: tuple[Path, Path], demo: Path, tmp_path: Path
) -> None:
    import shutil

    work, folder = trained
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    metadata = json.loads((copy / "metadata.json").read_text())
    metadata["libraries"]["scikit-learn"] = "0.1.0"
    (copy / "metadata.json").write_text(json.dumps(metadata))
    rows = pd.read_csv(work / "data" / "applicants.csv").head(5)
    rows.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "out.csv"
    args = ("predict", str(tmp_path / "in.csv"), "--artifact", str(copy), "--out", str(out))
    done = _run(demo, *args, cwd=work)
    assert done.returncode == 2 and not out.exists()
    assert len(done.stderr.strip().splitlines()) == 1
    assert "scikit-learn 0.1.0 made the artifact" in done.stderr
    done = _run(demo, *args, "--allow-version-mismatch", cwd=work)
    assert done.returncode == 0, done.stderr
    assert out.exists()


def test_train_data_option_and_bad_data(demo: Path, trained: tuple[Path, Path]) -> None:
    work, _ = trained
    data = pd.read_csv(work / "data" / "applicants.csv").head(600)
    data.to_csv(work / "train.csv", index=False)
    done = _run(demo, "train", "--data", "train.csv", "--artifacts", "other", cwd=work)
    assert done.returncode == 0, done.stderr
    (folder,) = (work / "other").iterdir()
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["data"]["frames"][0]["shape"] == [600, 8]
    assert metadata["data"]["files"][0]["path"] == "train.csv"
    done = _run(demo, "train", "--data", "nowhere.csv", "--artifacts", "bad", cwd=work)
    assert done.returncode == 2
    assert done.stderr.strip() == "credit_approval: error: nowhere.csv: no such file"
    assert not (work / "bad").exists()


@pytest.mark.parametrize("command", ["train", "predict", "run"])
def test_help_of_each_command(demo: Path, tmp_path: Path, command: str) -> None:
    done = _run(demo, command, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "--pd-threshold" in done.stdout
    if command != "run":
        assert f"credit_approval {command}" in done.stdout
    if command == "predict":
        assert "--allow-version-mismatch" in done.stdout and "--artifact DIR" in done.stdout
