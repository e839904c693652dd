"""Small notebooks of tests/cases/production/ (a scikit-learn Pipeline, a statsmodels formula):
each converts with train.py and predict.py, `train` runs and saves an artifact with the
notebook's metric, and `predict` on the held-out rows, read back from the file the notebook
read (without the target), gives the predictions the training run computed for them.

Adding a case needs no code: a jupytext percent notebook that writes the CSV it reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod.convert.plan import package_name

CASES = sorted((Path(__file__).resolve().parents[1] / "cases" / "production").glob("*.py"))
pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")
pytest.importorskip("skops")
pytestmark = pytest.mark.slow

# run in the package's own process: train, then predict on the held-out rows
CHECK = """
import json, sys
import pandas as pd
from {package}.artifact import load
from {package}.predict import predict
from {package}.train import train, TARGET
result = train(artifacts="artifacts")
held = result.values
name = next(n for n, v in held.items() if hasattr(v, "index") and hasattr(v, "columns"))
output = next(n for n in held if n != name)
meta = json.load(open(result.artifact_dir / "metadata.json"))
source = meta["data"]["files"][0]["path"]
rows = pd.read_csv(source).loc[held[name].index].drop(columns=list(TARGET))
scored = predict(rows, load(result.artifact_dir))
json.dump({{"expected": [float(x) for x in pd.Series(held[output]).to_numpy()],
           "actual": [float(x) for x in scored[output].to_numpy()],
           "metrics": meta["metrics"]}}, sys.stdout)
"""


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_trains_and_predicts(case: Path, tmp_path: Path) -> None:
    package = package_name(str(case))  # not `case.stem`: the .py notebook is that module
    out = tmp_path / "pkg"
    done = subprocess.run(
        [sys.executable, "-m", "nb2prod", "convert", str(case), "--out", str(out), "--no-verify"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    source = out / "src" / package
    assert (source / "train.py").is_file() and (source / "predict.py").is_file()
    report = json.loads((out / "nb2prod-report.json").read_text())
    assert report["production"]["metrics"], report["production"]
    env = {**os.environ, "PYTHONPATH": str(out / "src")}
    done = subprocess.run(
        [sys.executable, "-c", CHECK.format(package=package)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["expected"], "the notebook scored no held-out rows"
    np.testing.assert_allclose(found["actual"], found["expected"], rtol=1e-9, atol=1e-9)
    assert all(isinstance(v, float) for v in found["metrics"].values())
    # and the command line: help of each command
    for command in ("train", "predict"):
        done = subprocess.run(
            [sys.executable, "-m", package, command, "--help"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0 and f"{package} {command}" in done.stdout
