"""The generated packages of the demo and the sample project pass ruff and mypy with the settings
written into their pyproject.toml (nb2prod's own ruff rule set), and their config tests pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod.convert.build import build

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = [
    ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb",
    ROOT / "sample_notebooks" / "project" / "notebooks" / "01_prepare.ipynb",
    ROOT / "sample_notebooks" / "project" / "notebooks" / "02_model.ipynb",
]


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.stem)
def package_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    notebook: Path = request.param
    out = tmp_path_factory.mktemp(notebook.stem) / "pkg"
    plan, package = build(str(notebook), pin=False, out_dir=out)
    for path, text in package.files.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text, "utf-8")
    (out / "fields.txt").write_text(" ".join(c.field for c in plan.config), "utf-8")
    return out


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd / "src")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_ruff_passes_with_the_generated_settings(package_dir: Path) -> None:
    done = _run([sys.executable, "-m", "ruff", "check", "--no-cache", "src", "tests"], package_dir)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_passes_with_the_generated_settings(package_dir: Path) -> None:
    done = _run([sys.executable, "-m", "mypy", "--no-incremental"], package_dir)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_config_tests_pass(package_dir: Path) -> None:
    done = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_package.py"],
        package_dir,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    collected = _run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/test_package.py"],
        package_dir,
    ).stdout
    # one case per function reading a field, at least one per field
    for field in (package_dir / "fields.txt").read_text("utf-8").split():
        assert f"test_config_field_reaches_the_code[{field}-" in collected, field
