"""verify's package run imports the notebook's path dependencies (issue #13).

A local package with its own `pyproject.toml` is declared as a dependency (`mylib @ file:...`),
not vendored, so its imports stay `from mylib import double`. The notebook found it through
`sys.path.append(...)`; the package run finds it through PYTHONPATH, inside the run's view of
the project when the view shows it, and never writes beside the user's files.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from nb2prod.convert.build import convert
from nb2prod.convert.local_modules import DEPENDENCY, LocalCode
from nb2prod.verify import project as project_module
from nb2prod.verify.package_run import PackageRun
from tests.helpers import code, notebook, write

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths and process groups")


def _library(folder: Path) -> Path:
    """An installable local package, src layout; returns its source root."""
    (folder / "src" / "mylib").mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "mylib"\nversion = "0.1"\n')
    (folder / "src" / "mylib" / "__init__.py").write_text("def double(x):\n    return 2 * x\n")
    return folder / "src"


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "folder"
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("where", ["in the project", "outside the project"])
@pytest.mark.parametrize("view", ["overlay", "copy"])
def test_the_package_run_imports_path_dependencies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, view: str
) -> None:
    if view == "copy":
        monkeypatch.setenv(project_module.NO_OVERLAY_VARIABLE, "1")
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    if where == "in the project":
        source = _library(project / "libs" / "mylib")
        entry = "'../libs/mylib/src'"
    else:
        source = _library(tmp_path / "elsewhere" / "mylib")
        entry = repr(str(source))
    nb = write(
        project / "notebooks" / "nb.ipynb",
        notebook(
            code(f"import sys\nsys.path.append({entry})"),
            code("from mylib import double"),
            code("y = double(21)\nprint(y)"),
        ),
    )
    done = convert(str(nb), str(tmp_path / "package"), pin=False)
    [module] = done.plan.local.modules
    assert (module.action, module.source_root) == (DEPENDENCY, str(source))
    before = _digest(source.parent)
    for folder in ("captured", "bare"):
        (tmp_path / folder).mkdir()

    run = PackageRun(done.plan, done.out_dir, nb, tmp_path / "captured", timeout=120)
    run.start()
    run.join()
    assert run.error is None
    assert run.captured is not None
    assert 42 in [v for values in run.captured.values.values() for v in values.values()]
    assert _digest(source.parent) == before  # no __pycache__ beside the user's sources

    # without the dependency's source root the same run cannot import it
    bare = PackageRun(
        replace(done.plan, local=LocalCode()), done.out_dir, nb, tmp_path / "bare", timeout=120
    )
    bare.start()
    bare.join()
    assert bare.error is not None and "ModuleNotFoundError" in bare.error
