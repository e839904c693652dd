"""The fitted-model oracle of `nb2prod verify`, with a real kernel (issue #14, requirement 8).

A notebook that fits a model and never scores rows with it has no predictions to compare
predict() with. The oracle: the notebook's own fitted model, applied in its kernel (right after
the fit) to the matrix predict gives the model. The notebook below fits on a split, after a
feature step: predict() on every input row must give `clf.predict(X)` ("equivalent", and the
generated tests/test_predict.py replays it). A predict.py whose feature step is broken must
"differ", blamed on the matrix (the model is the notebook's), and so must one that changes
the model's output; a model that differs is not
predict's fault ("unverified", tests/unit/test_predict_fitted_oracle.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("skops")
pytest.importorskip("papermill")
nbformat = pytest.importorskip("nbformat")
pytestmark = pytest.mark.slow

CELLS = [
    "import numpy as np\n"
    "import pandas as pd\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.model_selection import train_test_split",
    'DATA_PATH = "points.csv"\n'
    "rng = np.random.default_rng(0)\n"
    'raw = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})\n'
    'raw["label"] = (raw["a"] - raw["b"] + rng.normal(0, 0.5, size=200) > 0).astype(int)\n'
    "raw.to_csv(DATA_PATH, index=False)",
    "df = pd.read_csv(DATA_PATH)\n"
    'df["ab"] = df["a"] * df["b"]\n'
    'X = df[["a", "b", "ab"]]\n'
    'y = df["label"]\n'
    "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)",
    "clf = LogisticRegression()\nclf.fit(X_train, y_train)\ncoefficients = clf.coef_.ravel().tolist()",
]
FEATURE_STEP = 'df["ab"] = df["a"] * df["b"]'


def _nb2prod(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nb2prod", *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
    )


def _verify(notebook: Path, package: Path) -> tuple[dict[str, Any], str]:
    """(the report's predict check, the CLI's predict line)."""
    done = _nb2prod(
        "verify",
        "--no-second-run",
        "--no-confirm",
        str(notebook),
        str(package),
        cwd=notebook.parent,
    )
    assert done.returncode in (0, 1, 4), done.stdout + done.stderr
    report = json.loads((package / "nb2prod-report.json").read_text("utf-8"))
    lines = [x.strip() for x in done.stdout.splitlines() if "predict path:" in x]
    assert len(lines) == 1, done.stdout
    return report["verification"], lines[0]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(notebook, package) in a scratch folder, converted once."""
    work = tmp_path_factory.mktemp("fits_only")
    notebook = work / "fits_only.ipynb"
    made = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    made.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(made, str(notebook))
    done = _nb2prod("convert", str(notebook), "--out", str(work / "pkg"), "--no-verify", cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    return notebook, work / "pkg"


def _copy(package: Path, into: Path) -> tuple[Path, Path]:
    """A copy of the package and its predict.py, to change without touching the fixture's."""
    copy = into / "pkg"
    shutil.copytree(package, copy)
    return copy, copy / "src" / "fits_only" / "predict.py"


def test_fit_never_scored_is_equivalent_against_the_fitted_model(
    converted: tuple[Path, Path],
) -> None:
    notebook, package = converted
    verification, line = _verify(notebook, package)
    check = verification["predict"]
    assert check["verdict"] == "equivalent", check
    assert check["oracle"] == "clf.predict(X)"
    assert check["rows"] == 200  # every row read, not only the 150 the model was fitted on
    assert [(c["name"], c["verdict"]) for c in check["compared"]] == [("prediction", "equivalent")]
    assert (
        line
        == "predict path: equivalent (prediction against the notebook's clf.predict(X), on 200 rows)"
    )
    # the generated test replays predict() against the notebook model's predictions
    assert verification["predict_test"].startswith("tests/test_predict.py"), verification
    elsewhere = package.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    test = str(package / "tests" / "test_predict.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(package / "src")},
        timeout=300,
    )
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


def test_a_broken_feature_step_in_predict_differs(
    converted: tuple[Path, Path], tmp_path: Path
) -> None:
    notebook, original = converted
    package, source = _copy(original, tmp_path)
    text = source.read_text("utf-8")
    assert text.count(FEATURE_STEP) == 1, text  # predict.py replays the notebook's feature step
    source.write_text(text.replace(FEATURE_STEP, FEATURE_STEP.replace("*", "+")), "utf-8")
    verification, line = _verify(notebook, package)
    check = verification["predict"]
    assert check["verdict"] == "differs", check
    assert line.startswith("predict path: differs: prediction: the matrix predict() gives clf")
    assert verification["verdict"] == "equivalent"  # the pipeline itself is untouched
    assert not (package / "tests" / "test_predict.py").exists()  # no test locks it in


def test_predictions_changed_after_the_model_differ(
    converted: tuple[Path, Path], tmp_path: Path
) -> None:
    notebook, original = converted
    package, source = _copy(original, tmp_path)
    text = source.read_text("utf-8")
    call = "prediction = clf.predict(_gate(X))"
    assert text.count(call) == 1, text
    source.write_text(text.replace(call, call.replace("= ", "= 1 - ")), "utf-8")
    verification, line = _verify(notebook, package)
    assert line.startswith("predict path: differs: prediction:"), line
    check = verification["predict"]
    assert check["verdict"] == "differs", check
    # the model and the matrix are the notebook's: what predict did after the model differs
    assert "the notebook's clf on the same matrix gives other values" in check["reason"], check


ARRAY_CELLS = [
    "import numpy as np\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.model_selection import train_test_split",
    "rng = np.random.default_rng(0)\n"
    "X = rng.normal(size=(120, 2))\n"
    "y = (X[:, 0] - X[:, 1] > 0).astype(int)\n"
    "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
    "clf = LogisticRegression()\nclf.fit(X_train, y_train)",
    "y_pred = clf.predict(X_test)",
]


def test_held_out_arrays_are_verified_against_the_fitted_model(tmp_path: Path) -> None:
    """The notebook scores X_test, an array: no index leads back to the input's rows, so
    predict() scores every row of `X` against the notebook's clf.predict(X)."""
    notebook = tmp_path / "arrays.ipynb"
    made = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in ARRAY_CELLS])
    made.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(made, str(notebook))
    package = tmp_path / "pkg"
    done = _nb2prod("convert", str(notebook), "--out", str(package), "--no-verify", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    verification, line = _verify(notebook, package)
    check = verification["predict"]
    assert check["verdict"] == "equivalent", check
    assert (check["oracle"], check["rows"]) == ("clf.predict(X)", 120)
    assert line.startswith("predict path: equivalent (y_pred against the notebook's clf.predict(X)")
