"""nb2prod's wheel, built from the working tree and installed into a clean virtual environment.

What a user gets from `pip install nb2prod` must work on its own: the templates
(`templates/*.j2`, shipped as `nb2prod/templates/`), the data files and `py.typed` must be
inside the wheel, and the installed `nb2prod convert` must turn the demo notebook into a
package without anything from this repository on the path.

The wheel is built from a copy of the working tree (tracked plus untracked-but-not-ignored
files, so uncommitted edits are what gets tested) so that no `build/` or `*.egg-info` lands
in the repository. The fresh environment is a plain `python -m venv` (no system site
packages); nb2prod's dependencies come from PyPI, which takes a few minutes, so the install
step has a generous timeout and prints how long it took.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"

BUILD_TIMEOUT = 600
INSTALL_TIMEOUT = 900  # nb2prod's dependencies from PyPI, into an empty environment
RUN_TIMEOUT = 300

# Folders never copied when git cannot list the working tree.
_NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    "*.egg-info",
    "build",
    "dist",
    ".pytest_cache",
    ".hypothesis",
    ".mypy_cache",
    ".ruff_cache",
    "node_modules",
    "demo-output",
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None,
        reason="the venv module (with ensurepip) is unavailable: cannot make a clean environment",
    ),
]

Proc = subprocess.CompletedProcess[str]


def _clean_env() -> dict[str, str]:
    """The environment minus what would let the repository or the test venv leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    }
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def _run(cmd: list[str | Path], cwd: Path, timeout: float) -> Proc:
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _output(proc: Proc) -> str:
    return (
        f"$ {' '.join(map(str, proc.args))}\n[exit {proc.returncode}]\n{proc.stdout}{proc.stderr}"
    )


def _copy_working_tree(destination: Path) -> None:
    """Tracked and untracked-but-not-ignored files, as `git ls-files -co --exclude-standard`."""
    listed = None
    if shutil.which("git") is not None:
        proc = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode == 0:
            listed = [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]
    if listed is None:  # not a git checkout (e.g. an sdist): copy everything but build leftovers
        shutil.copytree(ROOT, destination, ignore=_NOT_SOURCES)
        return
    destination.mkdir(parents=True)
    for relative in listed:
        source = ROOT / relative
        if not source.is_file():  # tracked but deleted in the working tree
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def _venv_executable(venv: Path, name: str) -> Path:
    folder = venv / ("Scripts" if os.name == "nt" else "bin")
    suffix = ".exe" if os.name == "nt" else ""
    return folder / f"{name}{suffix}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """nb2prod's wheel, built once from a copy of the working tree."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    _copy_working_tree(source)
    dist = base / "dist"
    started = time.monotonic()
    proc = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, source],
        base,
        BUILD_TIMEOUT,
    )
    assert proc.returncode == 0, _output(proc)
    print(f"\nnb2prod wheel built in {time.monotonic() - started:.1f} s")
    wheels = sorted(dist.glob("nb2prod-*.whl"))
    assert len(wheels) == 1, f"expected one nb2prod wheel in {dist}, found {wheels}"
    return wheels[0]


def test_wheel_ships_templates_data_and_py_typed(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    templates = sorted(p.name for p in (ROOT / "templates").glob("*.j2"))
    assert templates, "no templates/*.j2 in the repository"
    missing = [f"nb2prod/templates/{t}" for t in templates if f"nb2prod/templates/{t}" not in names]
    assert not missing, f"templates missing from {wheel.name}: {missing}"
    for required in (
        "nb2prod/data/sklearn_random_state.json",
        "nb2prod/py.typed",
        "nb2prod/templates/__init__.py",
    ):
        assert required in names, f"{required} missing from {wheel.name}"
    # nothing from the repository's top level besides the packages (no tests, no notebooks)
    others = {n.split("/", 1)[0] for n in names} - {"nb2prod"}
    assert all(top.endswith(".dist-info") for top in others), sorted(others)


def test_installed_wheel_converts_the_demo(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    proc = _run([sys.executable, "-m", "venv", venv], tmp_path, RUN_TIMEOUT)
    assert proc.returncode == 0, _output(proc)
    python = _venv_executable(venv, "python")

    started = time.monotonic()
    proc = _run([python, "-m", "pip", "install", wheel], tmp_path, INSTALL_TIMEOUT)
    install_seconds = time.monotonic() - started
    print(f"\nnb2prod wheel and its dependencies installed from PyPI in {install_seconds:.1f} s")
    assert proc.returncode == 0, _output(proc)

    # the installed copy is used, not the repository
    proc = _run([python, "-c", "import nb2prod; print(nb2prod.__file__)"], tmp_path, RUN_TIMEOUT)
    assert proc.returncode == 0, _output(proc)
    assert Path(proc.stdout.strip()).resolve().is_relative_to(venv.resolve()), proc.stdout

    work = tmp_path / "work"
    work.mkdir()
    shutil.copy2(DEMO, work / DEMO.name)
    out = tmp_path / "demo_pkg"
    proc = _run(
        [_venv_executable(venv, "nb2prod"), "convert", DEMO.name, "--out", out, "--no-verify"],
        work,
        RUN_TIMEOUT,
    )
    assert proc.returncode == 0, _output(proc)
    for relative in (
        "src/credit_approval/pipeline.py",
        "src/credit_approval/config.py",
        "src/credit_approval/__main__.py",
        "pyproject.toml",
        "nb2prod-report.md",
        "nb2prod-report.json",
        ".nb2prod-generated",
    ):
        assert (out / relative).is_file(), f"{relative} not generated\n{_output(proc)}"
    assert (work / DEMO.name).read_bytes() == DEMO.read_bytes(), (
        "convert changed its input notebook"
    )
