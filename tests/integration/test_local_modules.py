"""The notebook's own modules: found where the kernel finds them, carried by the package, not pinned.

A notebook in `notebooks/` adds the project root to `sys.path` and imports `common.utils`; another
imports `helpers.py` beside it; a third imports a local package that has its own pyproject.toml.
The generated package must run without those `sys.path` entries (from a folder where none of the
modules is importable), and `pin` must not call them unknown distributions (NB201).
"""

from __future__ import annotations

import ast
import io
import json
import os
import subprocess
import sys
import tomllib
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from nb2prod.cli import ExitCode, main
from nb2prod.convert.build import convert
from nb2prod.pin import pin_file
from nb2prod.pin.search_path import SearchPath, is_path_setup
from tests.helpers import code, md, notebook, write

UTILS = '''"""Shared helpers of the project."""
import pandas as pd

from common.scale import double  # through sys.path, as the notebook's kernel sees it


def load_data(path):
    frame = pd.read_csv(path)
    frame["y2"] = double(frame["y"])
    return frame
'''
SCALE = "def double(values):\n    return values * 2\n"
ADD_ROOT = (
    "import os\nimport sys\n"
    "module_path = os.path.abspath(os.path.join('..'))\n"
    "if module_path not in sys.path:\n"
    "    sys.path.append(module_path)"
)


def _run_package(package_dir: Path, cwd: Path, name: str, extra_path: str = "") -> str:
    """Run the generated pipeline in a child process; its stdout (results printed)."""
    path = str(package_dir / "src") + (os.pathsep + extra_path if extra_path else "")
    done = subprocess.run(
        [sys.executable, "-m", name],
        cwd=cwd,
        env={"PYTHONPATH": path, "MPLBACKEND": "Agg", "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _codes(path: Path) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in pin_file(str(path)).findings]


def _generated_python(package_dir: Path, name: str) -> str:
    return "\n".join(
        p.read_text() for p in (package_dir / "src" / name).glob("*.py") if p.name != "__init__.py"
    )


def _project(root: Path) -> Path:
    """notebooks/analysis.ipynb, common/{utils,scale}.py at the root, data/raw/x.csv."""
    (root / ".git").mkdir(parents=True)  # the project root's marker
    (root / "common").mkdir()
    (root / "common" / "__init__.py").write_text("")
    (root / "common" / "utils.py").write_text(UTILS)
    (root / "common" / "scale.py").write_text(SCALE)
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "x.csv").write_text("x,y\n1,2\n2,4\n3,7\n")
    (root / "notebooks").mkdir()
    return write(
        root / "notebooks" / "analysis.ipynb",
        notebook(
            code(ADD_ROOT, 1, []),
            code("from common.utils import load_data\nimport common.scale", 2, []),
            md("## Load"),
            code("frame = load_data('../data/raw/x.csv')", 3, []),
            md("## Features"),
            code("total = float(common.scale.double(frame['y2']).sum())\nprint(total)", 4, []),
        ),
    )


def test_project_helpers_through_sys_path_are_vendored(tmp_path: Path) -> None:
    root = tmp_path / "project"
    nb = _project(root)
    out = tmp_path / "pkg"
    converted = convert(str(nb), str(out), pin=False)

    vendored = out / "src" / "analysis" / "_vendor" / "common"
    assert sorted(p.name for p in vendored.iterdir()) == ["__init__.py", "scale.py", "utils.py"]
    # the helper's own import of another local module is relative now; the rest is as written
    assert "from ..common.scale import double" in (vendored / "utils.py").read_text()
    assert (vendored / "utils.py").read_text().replace(
        "from ..common.scale import double", "from common.scale import double"
    ) == UTILS
    generated = _generated_python(out, "analysis")
    assert "from ._vendor.common.utils import load_data" in generated
    assert "sys.path" not in generated and "module_path" not in generated
    report = json.loads((out / "nb2prod-report.json").read_text())
    (entry,) = report["local_modules"]
    assert (entry["name"], entry["action"]) == ("common", "vendored")
    assert entry["found"] == "sys.path entry .. (cell 0)"
    assert "## Local modules" in (out / "nb2prod-report.md").read_text()
    dropped = {p.statement.key for p in converted.plan.statements if not p.kept}
    assert {"0.2", "0.3"} <= dropped  # module_path = ..., and the if that appends it

    # runs where `common` is not importable: the notebooks folder, as the notebook's kernel did
    printed = _run_package(out, root / "notebooks", "analysis")
    assert "total: 52.0" in printed  # 2 * 2 * (2 + 4 + 7)
    # not an unknown distribution: the path entry is resolved as the kernel would resolve it
    assert not [c for c in _codes(nb) if c[0] == "NB201"]


@pytest.mark.slow
def test_project_package_is_equivalent_to_the_notebook(tmp_path: Path) -> None:
    nb = _project(tmp_path / "project")
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        status = main(["convert", str(nb), "--out", str(tmp_path / "pkg"), "--no-second-run"])
    assert status == ExitCode.OK, buffer.getvalue()
    report = json.loads((tmp_path / "pkg" / "nb2prod-report.json").read_text())
    assert report["verification"]["verdict"] == "equivalent", buffer.getvalue()


def test_module_beside_the_notebook_is_vendored(tmp_path: Path) -> None:
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "helpers.py").write_text(
        "import plotting_free\n\ndef triple(v):\n    return 3 * plotting_free.offset(v)\n"
    )
    (folder / "plotting_free.py").write_text("def offset(v):\n    return v + 1\n")
    nb = write(
        folder / "beside.ipynb",
        notebook(
            code("import helpers\nimport helpers as h\nfrom helpers import triple", 1),
            md("## Compute"),
            code("a = helpers.triple(1)\nb = h.triple(2) + triple(3)\nprint(a, b)", 2),
        ),
    )
    out = tmp_path / "pkg"
    convert(str(nb), str(out), pin=False)
    generated = _generated_python(out, "beside")
    assert "from ._vendor import helpers" in generated
    assert "from ._vendor import helpers as h" in generated
    assert "from ._vendor.helpers import triple" in generated
    vendor = out / "src" / "beside" / "_vendor"
    assert "from . import plotting_free" in (vendor / "helpers.py").read_text()
    assert (vendor / "plotting_free.py").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    printed = _run_package(out, elsewhere, "beside")
    assert "a: 6" in printed and "b: 21" in printed  # 3*(1+1); 3*(2+1) + 3*(3+1)
    assert not [c for c in _codes(nb) if c[0] == "NB201"]


def test_installable_local_package_is_a_path_dependency(tmp_path: Path) -> None:
    library = tmp_path / "libs" / "mylib"
    (library / "src" / "mylib").mkdir(parents=True)
    (library / "pyproject.toml").write_text(
        '[project]\nname = "my-lib"\nversion = "0.1"\n\n[build-system]\n'
        'requires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    (library / "src" / "mylib" / "__init__.py").write_text("def answer():\n    return 42\n")
    folder = tmp_path / "work"
    folder.mkdir()
    nb = write(
        folder / "uses_lib.ipynb",
        notebook(
            code("import sys\nsys.path.insert(0, '../libs/mylib/src')\nimport mylib", 1),
            md("## Compute"),
            code("value = mylib.answer() + 1", 2),
        ),
    )
    out = tmp_path / "pkg"
    convert(str(nb), str(out), pin=False)
    project = tomllib.loads((out / "pyproject.toml").read_text())["project"]
    assert f"my-lib @ {library.as_uri()}" in project["dependencies"]
    assert "mylib" not in project["dependencies"]  # not an unpinned PyPI name
    assert not (out / "src" / "uses_lib" / "_vendor").exists()
    generated = _generated_python(out, "uses_lib")
    assert "import mylib" in generated and "sys.path" not in generated
    (entry,) = json.loads((out / "nb2prod-report.json").read_text())["local_modules"]
    assert entry["action"] == "dependency" and entry["requirement"].startswith("my-lib @ file://")
    # installed (here: on the path, as an install would put it), the package runs
    printed = _run_package(out, tmp_path, "uses_lib", extra_path=str(library / "src"))
    assert "value: 43" in printed
    assert not [c for c in _codes(nb) if c[0] == "NB201"]


def test_compiled_and_unparsable_helpers_stay_imports(tmp_path: Path) -> None:
    """A package with an extension module, or a helper LibCST cannot parse, is not copied; a
    helper importing it keeps that import absolute, and the report says why."""
    folder = tmp_path / "nb"
    (folder / "fastlib").mkdir(parents=True)
    (folder / "fastlib" / "__init__.py").write_text("from .core import speed\n")
    (folder / "fastlib" / "core.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    (folder / "old_helpers.py").write_text("print 'python 2'\n")
    (folder / "glue.py").write_text(
        "import old_helpers\nimport fastlib\n\ndef f():\n    return 1\n"
    )
    nb = write(
        folder / "mixed.ipynb",
        notebook(
            code("import glue\nimport fastlib", 1),
            md("## Use"),
            code("x = glue.f()\nname = fastlib.__name__", 2),
        ),
    )
    out = tmp_path / "pkg"
    convert(str(nb), str(out), pin=False)
    entries = {
        e["name"]: e for e in json.loads((out / "nb2prod-report.json").read_text())["local_modules"]
    }
    assert {n: e["action"] for n, e in entries.items()} == {
        "fastlib": "not vendored",
        "glue": "vendored",
        "old_helpers": "not vendored",
    }
    assert "compiled code" in entries["fastlib"]["detail"]
    assert "does not parse" in entries["old_helpers"]["detail"]
    glue = (out / "src" / "mixed" / "_vendor" / "glue.py").read_text()
    assert glue.startswith("import old_helpers\nimport fastlib\n")  # not copied: absolute
    generated = _generated_python(out, "mixed")
    assert "from ._vendor import glue" in generated and "import fastlib" in generated


@pytest.mark.parametrize(
    ("source", "added"),
    [
        ("sys.path.append('../../')", ["/home/u"]),
        ("sys.path.insert(0, '../src')", ["/home/u/p/src"]),
        ("sys.path.insert(0, os.path.abspath('../lib'))", ["/home/u/p/lib"]),
        ("sys.path.append(os.path.abspath(os.path.join('..', 'x')))", ["/home/u/p/x"]),
        ("sys.path.append(str(Path.cwd().parent / 'y'))", ["/home/u/p/y"]),
        ("sys.path.append(str(Path('..').resolve() / 'z'))", ["/home/u/p/z"]),
        ("sys.path.insert(0, os.path.join(os.getcwd(), os.pardir, 'w'))", ["/home/u/p/w"]),
        ("import os.path as osp\nsys.path.append(osp.dirname(os.getcwd()))", ["/home/u/p"]),
        ("for p in ['../a', '../b']:\n    sys.path.append(p)", ["/home/u/p/a", "/home/u/p/b"]),
        ("sys.path += ['../c']", ["/home/u/p/c"]),
        ("sys.path.extend(['../d'])", ["/home/u/p/d"]),
        ("root = Path().absolute().parents[0]\nsys.path.append(str(root / 'e'))", ["/home/u/p/e"]),
        ("sys.path.append(f'../{name}')", []),  # not static: nothing guessed
        ("sys.path.append(get_root())", []),
    ],
)
def test_path_entries_are_evaluated_like_the_kernel(source: str, added: list[str]) -> None:
    search = SearchPath("/home/u/p/notebooks")
    found: list[str] = []
    tree = ast.parse("import os\nimport sys\nfrom pathlib import Path\n" + source)
    for node in tree.body:
        found.extend(search.statement(node))
    assert found == added
    assert is_path_setup(tree.body[-1])
