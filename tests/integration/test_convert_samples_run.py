"""Every sample notebook that runs top to bottom converts to a package that installs
(`pip install -e`), imports, and whose `python -m <pkg>` runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from nb2prod.convert.build import convert
from nb2prod.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "sample_notebooks").rglob("*.ipynb"))
pytestmark = pytest.mark.slow


def _notebook_runs(path: Path, cwd: Path) -> tuple[bool, str]:
    """Run the notebook top to bottom with a real kernel (nbclient), in a scratch folder."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    try:
        client.execute()
    except Exception as exc:  # CellExecutionError and kernel failures alike
        return False, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return True, ""


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv that sees this environment's packages (through a .pth), for editable installs."""
    folder = tmp_path_factory.mktemp("venv")
    # no pip of its own: pip and setuptools come from this environment, through the .pth below
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=300
    )
    python = folder / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "outer-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return folder


def test_sample_packages_install_import_and_run(venv: Path, tmp_path: Path) -> None:
    python = venv / "bin" / "python"
    converted: list[tuple[Path, str, Path]] = []
    for notebook in NOTEBOOKS:
        work = tmp_path / notebook.stem
        work.mkdir()
        shutil.copy(notebook, work / notebook.name)
        try:
            result = convert(str(work / notebook.name), str(work / "pkg"), pin=False)
        except InputError:
            continue  # refusals are covered by the golden tests
        converted.append((work, result.plan.package, work / notebook.name))
    assert len(converted) >= 50
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    for work, _, _ in converted:
        install += ["-e", str(work / "pkg")]
    done = subprocess.run(install, capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("PYTHONPATH", None)
    failures = []
    for work, package, notebook in converted:
        scratch = work / "run"
        scratch.mkdir()
        run = subprocess.run(
            [str(python), "-m", package],
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=env,
        )
        if run.returncode != 0:
            runs, _why = _notebook_runs(
                notebook, work / "nbrun" if (work / "nbrun").mkdir() is None else work
            )
            if runs:  # the notebook runs, so the package must too
                failures.append(f"{notebook.name}: {run.stderr.strip().splitlines()[-1:]}")
    assert failures == [], "\n".join(failures)
