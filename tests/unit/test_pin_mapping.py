"""Import name -> distribution, against the real installed distributions of the test environment.

Set NB2PROD_PIN_PYTHON to an interpreter with more of the corpus's packages installed to
check the hand-written table of tests/data/pin/wild_imports.tsv against that environment too.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest

from nb2prod.pin.environment import Environment, canonical, environment_for
from nb2prod.pin.mapping import LocalModules, resolve, table

WILD_TABLE = Path(__file__).parents[1] / "data" / "pin" / "wild_imports.tsv"
# A namespace package is looked up by the portion the corpus imports.
REPRESENTATIVE = {"mpl_toolkits": "mpl_toolkits.mplot3d"}


@pytest.fixture(scope="module")
def env() -> Environment:
    return environment_for(None, os.environ.get("NB2PROD_PIN_PYTHON") or sys.executable)


NOWHERE = LocalModules(())

# (module as imported, expected status, expected distribution); a distribution in the
# curated table may be installed or not: either way it must map to that name.
CASES = [
    ("numpy.linalg", "distribution", "numpy"),
    ("sklearn.model_selection", "distribution", "scikit-learn"),
    ("PIL.Image", "distribution", "pillow"),
    ("yaml", "distribution", "PyYAML"),
    ("_yaml", "distribution", "PyYAML"),
    ("bs4", "distribution", "beautifulsoup4"),
    ("dateutil.parser", "distribution", "python-dateutil"),
    ("mpl_toolkits.mplot3d", "distribution", "matplotlib"),
    ("mpl_toolkits.axes_grid1.inset_locator", "distribution", "matplotlib"),
    ("pylab", "distribution", "matplotlib"),
    ("IPython.display", "distribution", "ipython"),
    ("zmq", "distribution", "pyzmq"),
    ("attr", "distribution", "attrs"),
    ("jupyter_client.kernelspec", "distribution", "jupyter-client"),
    ("nb2prod.pin", "distribution", "nb2prod"),  # an editable install has metadata too
    (
        "mpl_toolkits.basemap",
        "distribution",
        "basemap",
    ),  # the namespace is there, this portion is not
    ("cv2", "distribution", "opencv-python"),
    ("google.protobuf", "distribution", "protobuf"),
    ("googleapiclient.discovery", "distribution", "google-api-python-client"),
    ("osgeo.gdal", "distribution", "GDAL"),
    ("os.path", "stdlib", None),
    ("_thread", "stdlib", None),
    ("__future__", "future", None),
    ("StringIO", "python2-stdlib", None),
    ("urllib2", "python2-stdlib", None),
    ("not_a_real_module_xyz", "unknown", None),
]


@pytest.mark.parametrize(("module", "status", "distribution"), CASES, ids=[c[0] for c in CASES])
def test_mapping(env: Environment, module: str, status: str, distribution: str | None) -> None:
    if distribution and table().lookup(module) is None and env.version_of(distribution) is None:
        pytest.skip(
            f"{distribution} is not installed in {env.python}"
        )  # only with NB2PROD_PIN_PYTHON
    r = resolve(module, 0, env, NOWHERE, table())
    assert r.status == status
    if distribution is not None:
        assert canonical(r.distributions[0]) == canonical(distribution)
        top = module.split(".")[0]
        if env.version_of(distribution) is not None and env.importable(top):
            assert r.source == "environment" and r.installed
        elif not env.importable(top):
            assert r.source == "table" and not r.installed


def test_relative_imports_need_nothing(env: Environment) -> None:
    assert resolve("", 1, env, NOWHERE, table()).status == "relative"
    assert resolve("sibling", 2, env, NOWHERE, table()).status == "relative"


def test_local_modules_win_over_installed_ones(env: Environment, tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "yaml.py").write_text("")  # shadows PyYAML, as it does in the kernel
    (tmp_path / "fast.cpython-311-x86_64-linux-gnu.so").write_text("")
    (
        tmp_path / "data"
    ).mkdir()  # a plain folder: a namespace package only if nothing else is "data"
    (tmp_path / "numpy").mkdir()  # ... and numpy is installed, so this folder does not shadow it
    local = LocalModules([str(tmp_path)], {"written": "written by cell 3"})
    for module, detail in [
        ("helpers", "helpers.py"),
        ("pkg.sub", "pkg"),
        ("yaml", "yaml.py"),
        ("fast", "fast.cpython-311-x86_64-linux-gnu.so"),
        ("data.x", "data"),
    ]:
        r = resolve(module, 0, env, local, table())
        assert (r.status, Path(r.detail).name) == ("local", detail), module
    assert resolve("written", 0, env, local, table()).detail == "written by cell 3"
    assert resolve("numpy", 0, env, local, table()).status == "distribution"
    assert resolve("os", 0, env, local, table()).status == "stdlib"


def test_curated_table_agrees_with_installed_reality(env: Environment) -> None:
    """Every table entry whose distribution is installed here must really provide that import."""
    checked = 0
    for module, distribution in table().imports.items():
        top = module.split(".")[0]
        if env.version_of(distribution) is None or not env.importable(top):
            continue
        portions = env.namespaces.get(top)
        owners = portions.get(module, ()) if portions is not None else env.top_level.get(top, ())
        assert canonical(distribution) in {canonical(o) for o in owners}, (
            f"{module} -> {distribution}: {owners}"
        )
        checked += 1
    assert (
        checked >= 8
    )  # PIL, yaml, bs4, dateutil, sklearn, zmq, attr, pylab, mpl_toolkits.* are installed here


def test_curated_table_holds_only_mismatches() -> None:
    """An entry named like its import adds nothing (names are compared after PEP 503 normalisation)."""
    tbl = table()
    same = [k for k, v in tbl.imports.items() if "." not in k and canonical(k) == canonical(v)]
    assert same == []
    assert not tbl.python2_stdlib & set(sys.stdlib_module_names)


def _wild_rows() -> list[dict[str, str]]:
    with open(WILD_TABLE, encoding="utf-8") as handle:
        return list(
            csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        )


def _top50(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The 50 most frequent imports, plus any tied with the 50th."""
    cut = int(rows[49]["notebooks"])
    return [r for i, r in enumerate(rows) if i < 50 or int(r["notebooks"]) == cut]


def test_top50_table_of_wild_imports(env: Environment) -> None:
    """The hand-checked table of the corpus's most frequent imports, resolved as nb2prod resolves them.

    Installed here: the environment's answer must be the expected distribution (100%).
    Not installed: the curated table may name it, and must then name the expected one;
    otherwise it stays unresolved (NB201) - never a wrong name.
    """
    rows = _top50(_wild_rows())
    assert len(rows) >= 50
    installed = exact = 0
    wrong = []
    for row in rows:
        name, expected = row["import"], row["expected"]
        r = resolve(REPRESENTATIVE.get(name, name), 0, env, NOWHERE, table())
        if expected in ("stdlib", "future", "python2-stdlib"):
            assert r.status == expected, name
        elif expected in ("local", "none"):
            assert r.status == "unknown", name  # the project's own module is not in the corpus
        elif r.status == "distribution":
            if r.source == "environment":
                installed += 1
            if canonical(r.distributions[0]) == canonical(expected):
                exact += 1
            else:
                wrong.append(f"{name}: expected {expected}, got {r.distributions[0]} ({r.source})")
        else:
            assert r.status == "unknown" and not r.installed, f"{name} is installed but unmapped"
    assert not wrong, wrong
    assert installed >= 8, f"only {installed} of the top imports are installed in {env.python}"
    assert exact >= installed
