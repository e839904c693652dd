"""The sample project's model notebook as a package: it runs from the project root, or from
anywhere with `--base-dir`, and its own tests find the project's files (issue #13).

`sample_notebooks/project/notebooks/02_model.ipynb` reads `../data/processed/...` and writes
there; the package reads `config.path("data/processed/...")`. Everything runs in a copy of the
project, so the repository is never written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod.convert.build import convert

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "sample_notebooks" / "project"
OUTPUT = Path("data/processed/store_summary.csv")  # what the notebook writes
TIMEOUT = 300


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the project's copy, the package written beside it)."""
    tmp = tmp_path_factory.mktemp("base_dir")
    project = tmp / "project"
    shutil.copytree(PROJECT, project)
    (project / OUTPUT).unlink(missing_ok=True)
    notebook = project / "notebooks" / "02_model.ipynb"
    done = convert(str(notebook), str(tmp / "sales_model"), package="sales_model", pin=False)
    assert done.plan.base_dir == ".."
    return project, done.out_dir


def _run(package: Path, cwd: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package / "src"), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "sales_model", *options],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_the_package_runs_from_elsewhere_with_base_dir(
    converted: tuple[Path, Path], tmp_path: Path
) -> None:
    project, package = converted
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = _run(package, elsewhere, "--base-dir", str(project))
    assert done.returncode == 0, done.stderr
    assert "decision: 'raise prices'" in done.stdout
    assert (project / OUTPUT).is_file()  # written in the project, not where it was started
    assert list(elsewhere.iterdir()) == []
    (project / OUTPUT).unlink()


def test_the_package_runs_from_the_project_root_without_options(
    converted: tuple[Path, Path],
) -> None:
    project, package = converted
    done = _run(package, project)
    assert done.returncode == 0, done.stderr
    assert "decision: 'raise prices'" in done.stdout
    assert (project / OUTPUT).is_file()
    (project / OUTPUT).unlink()


def test_from_the_notebooks_folder_it_needs_base_dir(converted: tuple[Path, Path]) -> None:
    project, package = converted
    done = _run(package, project / "notebooks")
    assert done.returncode != 0
    assert "FileNotFoundError" in done.stderr and "data/processed" in done.stderr
    assert _run(package, project / "notebooks", "--base-dir", "..").returncode == 0
    (project / OUTPUT).unlink()


def test_the_generated_tests_find_the_project_files(converted: tuple[Path, Path]) -> None:
    _, package = converted
    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_package.py"],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_the_notebook_files_are_found_from_the_project_root" in (
        package / "tests" / "test_package.py"
    ).read_text("utf-8")
