"""A notebook whose model input is a numpy 2-D array (issues #14 and #15, item 7).

sklearn's gallery style: `X, y = make_classification(...)`, then a feature step that indexes
the array by position. The generated package treats the array as a frame whose columns are
the names training gives its features (x0, x1...): train learns the contract of that frame
and records its columns as the input, and predict takes a CSV with those columns, checks
it, and hands the feature step the array again. Run for real: convert (--no-verify), then
`train` and `predict` in subprocesses with PYTHONPATH=src, as a user runs them.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
nbformat = pytest.importorskip("nbformat")
datasets = pytest.importorskip("sklearn.datasets")
pytest.importorskip("skops")
pytestmark = pytest.mark.slow

PACKAGE = "array_input"
ROWS = {"n_samples": 300, "n_features": 5, "n_informative": 3, "random_state": 0}
CELLS = [
    "import numpy as np\n"
    "from sklearn.datasets import make_classification\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.metrics import accuracy_score\n"
    "from sklearn.model_selection import train_test_split",
    "X, y = make_classification(" + ", ".join(f"{k}={v!r}" for k, v in ROWS.items()) + ")",
    # indexing by position: predict must hand this step an array, not a frame
    "X = np.column_stack([X, X[:, 0] * X[:, 1]])",
    "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
    "model = LogisticRegression().fit(X_train, y_train)",
    "pred = model.predict(X_test)\naccuracy = accuracy_score(y_test, pred)",
]


def _features(matrix: Any) -> Any:
    """The notebook's feature step, for the reference predictions."""
    return np.column_stack([matrix, matrix[:, 0] * matrix[:, 1]])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(package, working folder, artifact folder) after `python -m array_input train`."""
    root = tmp_path_factory.mktemp("array")
    notebook = root / f"{PACKAGE}.ipynb"
    cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebook)
    package = root / "pkg"
    convert = ["convert", str(notebook), "--out", str(package), "--no-verify", "--no-pin"]
    done = subprocess.run(
        [sys.executable, "-m", "nb2prod", *convert],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    work = root / "work"
    work.mkdir()
    done = _run(package, "train", "--artifacts", "artifacts", cwd=work)
    assert done.returncode == 0, done.stderr
    (folder,) = [p for p in (work / "artifacts").iterdir() if p.is_dir()]
    return package, work, folder


def _run(package: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def _training_rows() -> Any:
    X, _ = datasets.make_classification(**ROWS)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


def _predict(trained: tuple[Path, Path, Path], name: str, rows: Any) -> tuple[int, str, Path]:
    package, work, folder = trained
    source, out = work / f"{name}.csv", work / f"{name}.out.csv"
    rows.to_csv(source, index=False)
    args = ["predict", str(source), "--artifact", str(folder), "--out", str(out)]
    done = _run(package, *args, cwd=work)
    return done.returncode, done.stderr, out


def _load(package: Path, folder: Path) -> Any:
    """The artifact, loaded in this process by the generated package's own code."""
    sys.path.insert(0, str(package / "src"))
    try:
        return importlib.import_module(f"{PACKAGE}.artifact").load(folder)
    finally:
        sys.path.remove(str(package / "src"))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_training_records_the_columns_and_the_contract_of_the_array(
    trained: tuple[Path, Path, Path],
) -> None:
    package, _, folder = trained
    metadata = json.loads((folder / "metadata.json").read_text())
    inputs = metadata["inputs"]["X"]
    assert [c["name"] for c in inputs] == ["x0", "x1", "x2", "x3", "x4"]
    assert {c["dtype"] for c in inputs} == {"float64"}
    # the model's matrix has the feature step's sixth column, the input does not
    assert [c["name"] for c in metadata["features"]] == [f"x{i}" for i in range(6)]
    baseline = _load(package, folder).objects["baseline"]
    assert baseline["arrays"] == ["X"]
    learned = {c["label"]: c for c in baseline["contracts"]["X"]["columns"]}
    assert sorted(learned) == ["x0", "x1", "x2", "x3", "x4"]
    low, high = _training_rows()["x2"].min(), _training_rows()["x2"].max()
    assert learned["x2"]["kind"] == "float"
    assert learned["x2"]["min"] <= low and high <= learned["x2"]["max"]
    assert sorted(baseline["inputs"]["X"]) == sorted(learned)  # drift monitoring's columns
    # the reference sample was scored by predict() on the columns, for compare-models
    assert "error" not in baseline["reference"], baseline["reference"].get("error")


def test_predict_scores_a_csv_of_the_training_rows_as_the_model_does(
    trained: tuple[Path, Path, Path],
) -> None:
    package, _, folder = trained
    rows = _training_rows()
    code, stderr, out = _predict(trained, "rows", rows)
    assert code == 0, stderr
    scored = pd.read_csv(out)
    assert len(scored) == len(rows)
    # the reference: the fitted model itself, on the notebook's features of the array
    model = _load(package, folder).objects["model"]
    expected = model.predict(_features(rows.to_numpy()))
    assert (scored["pred"].to_numpy() == expected).all()
    assert 0 < expected.sum() < len(expected)  # both classes: a constant would not tell


def test_predict_refuses_a_missing_column(trained: tuple[Path, Path, Path]) -> None:
    rows = _training_rows().drop(columns=["x3"])
    code, stderr, out = _predict(trained, "dropped", rows)
    assert code == 2
    assert "'x3' is missing" in stderr
    assert not out.exists()


def test_predict_refuses_values_out_of_the_learned_range(
    trained: tuple[Path, Path, Path],
) -> None:
    rows = _training_rows()
    rows["x2"] = rows["x2"] * 1000
    code, stderr, out = _predict(trained, "scaled", rows)
    assert code == 2
    assert "column 'x2'" in stderr and "in_range" in stderr
    assert "'x0'" not in stderr  # only the column at fault is named
    assert not out.exists()
