"""A generated package installs from its lock file alone, into a clean virtual environment.

The demo's golden package (copied to a scratch folder) gets its dependencies from its code's
imports, a pyproject.toml listing them, and a pylock.toml made by `pip lock` from the versions
installed where it was analysed. A plain `python -m venv` then installs exactly the locked
distributions (`pip install -r pylock.toml`, pip >= 26.1) and the package itself without
dependencies. From that environment alone, in a scratch working folder, `train` fits and saves
an artifact (the notebook writes its own data/applicants.csv there) and `predict` scores rows of
that file: the output has the predictions and the decisions, one row per input row. The wheels
come from the package index through pip's cache, so the install steps have generous timeouts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from nb2prod.convert.dependencies import (
    PIP_INSTALL_PYLOCK_SINCE,
    PYLOCK,
    dependencies_for,
    imported_modules,
    lock,
)
from nb2prod.convert.render import render_template
from nb2prod.notebook.load import load
from nb2prod.pin.environment import canonical

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
GOLDEN = ROOT / "tests" / "golden" / "demo__credit_approval"
PACKAGE = "credit_approval"
INSTALL_TIMEOUT = 900  # the locked wheels (numpy, pandas, scipy, scikit-learn) from the index
RUN_TIMEOUT = 120

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None,
        reason="the venv module (with ensurepip) is unavailable: cannot make a clean environment",
    ),
]


def _run(cmd: list[str | Path], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    }
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _ok(proc: subprocess.CompletedProcess[str]) -> str:
    command = " ".join(map(str, proc.args))
    assert proc.returncode == 0, (
        f"$ {command}\n[exit {proc.returncode}]\n{proc.stdout}{proc.stderr}"
    )
    return proc.stdout


def test_the_demo_package_installs_from_its_lock_file(tmp_path: Path) -> None:
    package_dir = tmp_path / "credit-approval"
    shutil.copytree(GOLDEN, package_dir)
    files = {
        str(p.relative_to(package_dir)): p.read_text("utf-8") for p in package_dir.rglob("*.py")
    }
    assert imported_modules(files, PACKAGE).keys() >= {"numpy", "pandas", "sklearn"}

    deps = dependencies_for(files, PACKAGE, load(DEMO))
    # train saves the model with skops, contracts.py checks frames with pandera
    assert [canonical(r.name) for r in deps.direct] == [
        "numpy",
        "pandas",
        "pandera",
        "scikit-learn",
        "skops",
    ]
    assert all(r.specifier.startswith("==") for r in deps.direct)
    (package_dir / "pyproject.toml").write_text(
        render_template(
            "pyproject.toml.j2",
            package=PACKAGE,
            distribution=PACKAGE.replace("_", "-"),
            notebook_name=DEMO.name,
            requires_python=">=3.10",
            dependencies=deps.direct,
        ),
        "utf-8",
    )
    made = lock(deps)
    assert (made.name, made.hashed) == (PYLOCK, True), made.note
    (package_dir / PYLOCK).write_text(made.text, "utf-8")
    locked = {canonical(p["name"]): p["version"] for p in tomllib.loads(made.text)["packages"]}
    assert locked == {canonical(e.name): e.version for e in deps.environment}

    venv = tmp_path / "venv"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _ok(_run([sys.executable, "-m", "venv", venv], tmp_path, 300))
    pip: list[str | Path] = [python, "-m", "pip"]
    _ok(_run([*pip, "install", f"pip>={PIP_INSTALL_PYLOCK_SINCE}"], tmp_path, INSTALL_TIMEOUT))
    _ok(_run([*pip, "install", "-r", PYLOCK], package_dir, INSTALL_TIMEOUT))
    _ok(_run([*pip, "install", "--no-deps", "."], package_dir, INSTALL_TIMEOUT))
    _ok(_run([*pip, "check"], tmp_path, RUN_TIMEOUT))

    listed = json.loads(_ok(_run([*pip, "list", "--format=json"], tmp_path, RUN_TIMEOUT)))
    installed = {canonical(d["name"]): d["version"] for d in listed}
    tools = {"pip", "setuptools", "wheel"}  # what the venv itself brings
    assert {k: v for k, v in installed.items() if k not in tools | {"credit-approval"}} == locked
    assert "ipython" not in installed

    helped = _ok(_run([python, "-m", PACKAGE, "--help"], tmp_path, RUN_TIMEOUT))
    assert "usage" in helped.lower()

    # the installed package trains and scores, from a folder that is not its source
    work = tmp_path / "work"
    work.mkdir()
    trained = _ok(_run([python, "-m", PACKAGE, "train", "--artifacts", "artifacts"], work, 600))
    (artifact,) = [p for p in (work / "artifacts").iterdir() if p.is_dir()]
    assert f"artifact: {Path('artifacts', artifact.name)}" in trained  # as given, relative
    auc = float(next(line for line in trained.splitlines() if line.startswith("auc:")).split()[1])
    assert 0.5 < auc <= 1.0

    seen = (work / "data" / "applicants.csv").read_text("utf-8").splitlines()
    header = seen[0].split(",")
    target = header.index("default")
    rows = [",".join(c for i, c in enumerate(line.split(",")) if i != target) for line in seen]
    (work / "new.csv").write_text("\n".join(rows[:41]) + "\n", "utf-8")  # header + 40 rows
    args = ["predict", "new.csv", "--artifact", "artifacts", "--out", "scored.csv"]
    scored = _ok(_run([python, "-m", PACKAGE, *args], work, RUN_TIMEOUT))
    assert "scored.csv: 40 rows scored" in scored

    # read back with the venv's own pandas: this interpreter need not have it
    program = (
        "import json, sys, pandas as pd; f = pd.read_csv(sys.argv[1]); "
        "print(json.dumps({'columns': list(f.columns), 'ids': f['applicant_id'].tolist(), "
        "'proba': f['proba_test'].tolist(), 'pd': f['pd'].tolist(), "
        "'lti': f['loan_to_income'].tolist(), 'approved': f['approved'].tolist()}))"
    )
    out = json.loads(_ok(_run([python, "-c", program, "scored.csv"], work, RUN_TIMEOUT)))
    assert {"proba_test", "pd", "approved", "expected_loss"} <= set(out["columns"])
    ids = [int(line.split(",")[header.index("applicant_id")]) for line in seen[1:41]]
    assert out["ids"] == ids  # one output row per input row, in the input's order
    assert all(0.0 <= p <= 1.0 for p in out["proba"])
    assert out["pd"] == out["proba"]  # the business rules decided on the model's probabilities
    # the notebook's rule with its defaults (PD_THRESHOLD 0.2, MAX_LOAN_TO_INCOME 0.5)
    rule = [p < 0.2 and lti < 0.5 for p, lti in zip(out["pd"], out["lti"], strict=True)]
    assert out["approved"] == rule
    assert "default" not in out["columns"]  # the target was never asked for
    records = (work / "monitoring" / "batches.jsonl").read_text("utf-8").splitlines()
    assert json.loads(records[-1])["rows"] == 40
