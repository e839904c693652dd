"""`nb2prod verify` proves the predict path (issue #14, requirement 4), with a real kernel.

The demo: predict() on the rows the notebook scored gives its `proba_test` and its `scored`
decisions ("equivalent"), and the generated tests/test_predict.py replays that from fixtures.
Each mutation of the generated predict.py (the probability flipped, the threshold moved)
makes it "differs". The small notebooks of tests/cases/verify_predict/ carry their expected
predict line in a `# expect:` comment: a predict path that cannot be made or proved is
"unverified" with the reason, never "equivalent".
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

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
CASES = sorted((ROOT / "tests" / "cases" / "verify_predict").glob("*.py"))
pytest.importorskip("skops")
pytest.importorskip("papermill")
pytestmark = pytest.mark.slow


def _nb2prod(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nb2prod", *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
    )


def _convert(notebook: Path, out: Path) -> None:
    done = _nb2prod("convert", str(notebook), "--out", str(out), "--no-verify")
    assert done.returncode == 0, done.stdout + done.stderr


def _verify(notebook: Path, package: Path) -> tuple[dict[str, Any], str]:
    """(the report's verification JSON, the CLI's output)."""
    done = _nb2prod("verify", "--no-second-run", "--no-confirm", str(notebook), str(package))
    assert done.returncode in (0, 1, 4), done.stdout + done.stderr
    report = json.loads((package / "nb2prod-report.json").read_text("utf-8"))
    return report["verification"], done.stdout


def _predict_line(stdout: str) -> str:
    lines = [line.strip() for line in stdout.splitlines() if "predict path:" in line]
    assert len(lines) == 1, stdout
    return lines[0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(notebook, package) in a scratch folder, converted once."""
    work = tmp_path_factory.mktemp("demo")
    notebook = work / DEMO.name
    shutil.copy(DEMO, notebook)
    _convert(notebook, work / "pkg")
    return notebook, work / "pkg"


def test_demo_predict_path_is_equivalent_and_replayed(demo: tuple[Path, Path]) -> None:
    notebook, package = demo
    verification, stdout = _verify(notebook, package)
    check = verification["predict"]
    assert check["verdict"] == "equivalent", check
    compared = {c["name"]: c["verdict"] for c in check["compared"]}
    assert compared["proba_test"] == "equivalent" and compared["scored"] == "equivalent"
    assert check["rows"] == 500  # the demo's held-out rows (test_size 0.25 of 2000)
    assert _predict_line(stdout).startswith("predict path: equivalent (proba_test, scored")
    markdown = (package / "nb2prod-report.md").read_text("utf-8")
    assert "### Predict path" in markdown and "| `scored` | equivalent |" in markdown
    assert "<h2>Predict path</h2>" in (package / "nb2prod-report.html").read_text("utf-8")
    # the generated test replays it from the fixtures, without the notebook's data
    assert verification["predict_test"].startswith("tests/test_predict.py")
    fixtures = package / "tests" / "fixtures" / "predict"
    assert (fixtures / "artifact" / "metadata.json").is_file()
    elsewhere = package.parent / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    test = str(package / "tests" / "test_predict.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


# (the line of the generated predict.py that starts with, what is replaced in it, by what,
# the value that must differ)
MUTATIONS = {
    "probability-flipped": ("proba_test = model.predict_proba(", "[:, 1]", "[:, 0]", "proba_test"),
    "threshold-moved": (
        "scored = decide(",
        "scored = decide(",
        "config = replace(config, pd_threshold=config.pd_threshold + 0.3)\n    scored = decide(",
        "scored",
    ),
}


def _mutated(text: str, mutation: str) -> str:
    start, old, new, _ = MUTATIONS[mutation]
    lines = text.splitlines(keepends=True)
    found = [i for i, line in enumerate(lines) if line.strip().startswith(start)]
    assert len(found) == 1, f"the generated predict.py has no single line {start!r}"
    assert old in lines[found[0]]
    lines[found[0]] = lines[found[0]].replace(old, new)
    text = "".join(lines)
    if "replace(" in new:
        future = "from __future__ import annotations\n"
        text = text.replace(future, future + "from dataclasses import replace\n", 1)
    return text


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_mutated_predict_differs(demo: tuple[Path, Path], tmp_path: Path, mutation: str) -> None:
    notebook, original = demo
    package = tmp_path / "pkg"
    shutil.copytree(original, package)
    source = package / "src" / "credit_approval" / "predict.py"
    text = _mutated(source.read_text("utf-8"), mutation)
    value = MUTATIONS[mutation][3]
    source.write_text(text, "utf-8")
    verification, stdout = _verify(notebook, package)
    check = verification["predict"]
    assert check["verdict"] == "differs", check
    verdicts = {c["name"]: c["verdict"] for c in check["compared"]}
    assert verdicts[value] == "differs", check
    assert _predict_line(stdout).startswith(f"predict path: differs: {value}:")
    # the pipeline's own verdict is beside it, not changed by predict.py
    assert verification["verdict"] == "equivalent"
    # no test locks the mutation in
    assert not (package / "tests" / "test_predict.py").exists()
    assert verification["predict_test"].startswith("no predict test")


def _expected(case: Path) -> str:
    line = next(x for x in case.read_text("utf-8").splitlines() if x.startswith("# expect: "))
    return line.removeprefix("# expect: ")


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_case_predict_line(case: Path, tmp_path: Path) -> None:
    notebook = tmp_path / case.name  # a jupytext .py notebook, beside its package's run
    shutil.copy(case, notebook)
    _convert(notebook, tmp_path / "pkg")
    verification, stdout = _verify(notebook, tmp_path / "pkg")
    expected = _expected(case)
    line = _predict_line(stdout)
    assert line.startswith(f"predict path: {expected}"), line
    assert verification["predict"]["verdict"] == expected.split(":")[0]
    if not expected.startswith("equivalent"):
        assert verification["predict"]["reason"], verification["predict"]
