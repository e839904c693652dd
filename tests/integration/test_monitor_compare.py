"""`monitor` and `compare-models` of a converted package, run for real (issue #15, items 4, 5).

The demo notebook is converted with `nb2prod convert --no-verify`; its package's commands run
in subprocesses (PYTHONPATH=src) in a temporary working folder, as a scheduler runs them:
batches drawn from the training rows leave `monitor --fail-on-drift` at 0, a shifted batch
makes it exit 3 naming the moved features; a retrained model is within the tolerances of
`compare-models`, a model trained on shuffled labels is not. The package's own generated
tests (tests/test_monitoring.py) pass, and fail when the tolerance is tightened below what a
retrained model moves.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
pd = pytest.importorskip("pandas")
pytest.importorskip("skops")
pytestmark = pytest.mark.slow
EXIT_DRIFT = 3


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "pkg"
    done = subprocess.run(
        [sys.executable, "-m", "nb2prod", "convert", str(DEMO), "--out", str(out), "--no-verify"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def _env(package: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(package / "src"), "PYTHONWARNINGS": "ignore"}


def _run(package: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credit_approval", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(package),
        timeout=300,
    )


def _train(package: Path, work: Path, *args: str) -> Path:
    done = _run(package, "train", "--artifacts", "artifacts", *args, cwd=work)
    assert done.returncode == 0, done.stderr
    found = re.search(r"^artifact: (.+)$", done.stdout, re.M)
    assert found is not None, done.stdout
    return work / found.group(1)


@pytest.fixture(scope="module")
def work(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with the demo trained in it (the notebook writes data/ there)."""
    folder = tmp_path_factory.mktemp("work")
    _train(demo, folder)
    return folder


def test_monitor_flags_a_shifted_batch_and_not_training_rows(demo: Path, work: Path) -> None:
    rows = pd.read_csv(work / "data" / "applicants.csv").drop(columns=["default"])
    for seed in range(3):
        rows.sample(400, random_state=seed).to_csv(work / f"batch{seed}.csv", index=False)
        scored = ("predict", f"batch{seed}.csv", "--artifact", "artifacts", "--out", "o.csv")
        done = _run(demo, *scored, cwd=work)
        assert done.returncode == 0, done.stderr
    calm = _run(demo, "monitor", "--fail-on-drift", cwd=work)
    assert calm.returncode == 0, calm.stdout + calm.stderr
    assert "no drift above the alert threshold" in calm.stdout
    assert "3 recent batch(es) of 3, 1200 rows" in calm.stdout
    assert (work / "monitoring" / "report.html").is_file()

    shifted = rows.sample(400, random_state=9)
    shifted["income"] = shifted["income"] * 1.6
    shifted["age"] = shifted["age"] + 8
    shifted.to_csv(work / "shifted.csv", index=False)
    scored = ("predict", "shifted.csv", "--artifact", "artifacts", "--out", "o.csv")
    done = _run(demo, *scored, "--contracts", "warn", cwd=work)
    assert done.returncode == 0, done.stderr
    alarm = _run(demo, "monitor", "--fail-on-drift", "--html", "drift.html", cwd=work)
    assert alarm.returncode == EXIT_DRIFT, alarm.stdout + alarm.stderr
    drifted = re.search(r"^drifted: (.+)$", alarm.stdout, re.M)
    assert drifted is not None, alarm.stdout
    names = drifted.group(1).split(", ")
    assert {"income", "age", "log_income"} <= set(names)
    assert not {"debt", "num_late_payments", "loan_amount"} & set(names)  # not moved
    row = re.search(r"^income\s+(\S+)\s+(\S+)\s.*ALERT$", alarm.stdout, re.M)
    assert row is not None and float(row.group(1)) > 0.25, alarm.stdout
    page = (work / "drift.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 1 + 9  # PSI over batches, a distribution per feature
    # without --fail-on-drift the report is all: exit 0
    assert _run(demo, "monitor", cwd=work).returncode == 0
    # a higher alert threshold from the command line: no alarm
    assert _run(demo, "monitor", "--fail-on-drift", "--psi-alert", "5", cwd=work).returncode == 0


def test_monitor_without_records_is_bad_input(demo: Path, tmp_path: Path) -> None:
    done = _run(demo, "monitor", "--monitoring", "nothing", cwd=tmp_path)
    assert done.returncode == 2
    assert "batches.jsonl: no such file" in done.stderr


def test_compare_models_within_and_beyond_tolerance(demo: Path, work: Path) -> None:
    old = sorted(p for p in (work / "artifacts").iterdir() if p.is_dir())[0]
    new = _train(demo, work)
    same = _run(demo, "compare-models", str(old), str(new), "--fail-on-change", cwd=work)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "reference sample (1000 rows)" in same.stdout
    assert "within tolerance" in same.stdout
    line = re.search(r"^proba_test\s+prediction\s+\S+\s+(\S+)\s+(\S+)", same.stdout, re.M)
    assert line is not None, same.stdout
    assert 0 < float(line.group(1)) < 0.05  # retrained without a seed: moved, a little

    # the same rows with their labels shuffled: a model that learned nothing
    rows = pd.read_csv(work / "data" / "applicants.csv")
    rows["default"] = rows["default"].sample(frac=1, random_state=0).to_numpy()
    rows.to_csv(work / "shuffled.csv", index=False)
    noise = _train(demo, work, "--data", "shuffled.csv")
    moved = _run(demo, "compare-models", str(old), str(noise), "--fail-on-change", cwd=work)
    assert moved.returncode == EXIT_DRIFT, moved.stdout + moved.stderr
    assert "beyond tolerance: proba_test: mean absolute change" in moved.stdout
    assert "largest changes:" in moved.stdout
    # reported, not an alarm, without --fail-on-change
    assert _run(demo, "compare-models", str(old), str(noise), cwd=work).returncode == 0


def _pytest(package: Path, cwd: Path, *tests: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(package),
        timeout=600,
    )


def test_the_generated_tests_pass_and_fail_on_a_tight_tolerance(demo: Path, tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(demo, package)
    tests = str(package / "tests" / "test_monitoring.py")
    done = _pytest(package, tmp_path, tests)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
    # the retrained demo model (no random_state) moves its predictions by about 0.02 on
    # average: a tolerance far below that must fail the differential test
    config = package / "src" / "credit_approval" / "config.py"
    text = config.read_text()
    assert "prediction_tolerance: float = 0.05" in text
    config.write_text(
        text.replace("prediction_tolerance: float = 0.05", "prediction_tolerance: float = 0.0001")
    )
    failed = _pytest(package, tmp_path, tests + "::test_a_retrained_model_keeps_its_predictions")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "beyond tolerance: proba_test" in failed.stdout


def test_the_new_modules_pass_mypy_and_ruff(demo: Path, tmp_path: Path) -> None:
    """monitoring, drift, compare, config, __main__ and the generated test: mypy --strict;
    with train.py (its notebook statements untyped), the package's own mypy and ruff."""
    source = demo / "src" / "credit_approval"
    strict = [source / f"{name}.py" for name in ("monitoring", "drift", "compare", "config")]
    strict += [source / "__main__.py", demo / "tests" / "test_monitoring.py"]
    ini = tmp_path / "mypy.ini"
    ini.write_text(
        "[mypy]\nstrict = True\npython_version = 3.10\nignore_missing_imports = True\n"
        "follow_imports = silent\n"  # the notebook's own modules are typed as captured
    )
    checks = [
        ["mypy", "--config-file", str(ini), *map(str, strict)],
        ["mypy"],  # the package's settings (pyproject.toml): all of src/
        ["ruff", "check", "--no-cache", *map(str, [*strict, source / "train.py"])],
    ]
    for check in checks:
        done = subprocess.run(
            [sys.executable, "-m", *check],
            capture_output=True,
            text=True,
            cwd=demo,  # the package's own rules (its pyproject.toml)
            env=_env(demo),
            timeout=600,
        )
        assert done.returncode == 0, " ".join(check[:1]) + ": " + done.stdout + done.stderr
