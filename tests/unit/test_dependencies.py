"""The generated package's dependencies: its code's imports, pinned; the closure; the lock file."""

from __future__ import annotations

import base64
import hashlib
import sys
import tomllib
import zipfile
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from packaging.requirements import Requirement as Pep508

from nb2prod.convert.dependencies import (
    PYLOCK,
    REQUIREMENTS_LOCK,
    Dependencies,
    Locked,
    Metadata,
    Requirement,
    dependencies_for,
    imported_modules,
    lock,
    metadata_for,
    package_dependencies,
    requirements_lock,
    unpinned,
)
from nb2prod.convert.render import render_template
from nb2prod.notebook.load import load
from nb2prod.pin import pin_notebook
from nb2prod.pin.environment import Environment, canonical, environment_for
from tests.helpers import code, notebook, write

PKG = "shop"
# A package as render writes it: modules importing pandas and scikit-learn, a vendored helper
# importing numpy, imports of its own modules (absolute and relative) and of the stdlib.
FILES = {
    f"src/{PKG}/__init__.py": '"""shop."""\n',
    f"src/{PKG}/data.py": "import os\n\nimport pandas as pd\n\n\ndef load(p):\n    return pd.read_csv(p)\n",
    f"src/{PKG}/model.py": (
        "from sklearn.linear_model import LogisticRegression\n"
        f"from {PKG}.data import load\n"
        "from ._vendor.helpers import scale\n"
    ),
    f"src/{PKG}/_vendor/__init__.py": '"""The notebook\'s own modules."""\n',
    f"src/{PKG}/_vendor/helpers.py": "import numpy as np\n\nfrom .other import x\n",
    "tests/test_package.py": "import pytest\n",  # the tests' imports are not the package's
}
KERNEL = ("ipython", "ipykernel", "matplotlib-inline", "rich", "jupyter-client", "traitlets")


@pytest.fixture(scope="module")
def env() -> Environment:
    return environment_for(None, sys.executable)


def _notebook(tmp_path: Path, *cells: dict[str, Any]) -> Path:
    return write(tmp_path / "nb.ipynb", notebook(*cells))


def _names(deps: Dependencies) -> list[str]:
    return [canonical(r.name) for r in deps.direct]


def test_imports_of_the_package_files(tmp_path: Path) -> None:
    assert imported_modules(FILES, PKG) == {
        "numpy": (f"{PKG}._vendor.helpers",),
        "os": (f"{PKG}.data",),
        "pandas": (f"{PKG}.data",),
        "sklearn": (f"{PKG}.model",),
    }


def test_unpinned_names_without_an_environment() -> None:
    files = {
        **FILES,
        f"src/{PKG}/extra.py": "from __future__ import annotations\nimport cv2\nimport mylib\n",
    }
    assert unpinned(files, PKG, path_dependencies={"mylib"}) == [
        "numpy",
        "opencv-python",
        "pandas",
        "scikit-learn",
    ]


def test_code_imports_are_pinned_and_the_kernel_never(tmp_path: Path, env: Environment) -> None:
    path = _notebook(
        tmp_path,
        code("import pandas as pd\nfrom sklearn.linear_model import LogisticRegression", 1),
        code("from IPython.display import display\nimport matplotlib.pyplot as plt", 2),
        code("display(pd.DataFrame())\nplt.plot([1])", 3),
    )
    deps = dependencies_for(FILES, PKG, load(path), sys.executable)
    assert deps.requirements == tuple(
        f"{name}=={env.version_of(name)}" for name in ("numpy", "pandas", "scikit-learn")
    )
    numpy = next(r for r in deps.direct if r.name == "numpy")
    assert numpy.why == (f"{PKG}._vendor.helpers imports numpy",)
    locked = {canonical(e.name): e for e in deps.environment}
    assert {"numpy", "pandas", "scikit-learn"} <= locked.keys()
    assert not locked.keys() & set(KERNEL)
    assert all(e.version == env.version_of(e.name) for e in deps.environment)
    assert [e.name for e in deps.environment if e.direct] == [r.name for r in deps.direct]
    # what pandas needs is locked, and says so
    unconditional = [
        canonical(r.name)
        for r in map(Pep508, metadata_for(env.python).requires["pandas"])
        if r.marker is None
    ]
    assert unconditional
    assert all("pandas" in locked[name].required_by for name in unconditional)
    assert deps.unmapped == ()
    assert deps.notes == ()


def test_the_kernel_is_listed_when_the_code_imports_it(tmp_path: Path, env: Environment) -> None:
    files = {**FILES, f"src/{PKG}/show.py": "from IPython.display import HTML\n"}
    deps = dependencies_for(
        files, PKG, load(_notebook(tmp_path, code("import pandas", 1))), sys.executable
    )
    assert "ipython" in _names(deps)
    assert deps.notes == (
        "ipython serves the notebook's kernel, yet the code imports it (shop.show imports "
        "IPython): is that display code the package needs?",
    )


def test_a_module_only_the_code_imports_is_pinned_as_installed(
    tmp_path: Path, env: Environment
) -> None:
    """The vendored helper's numpy: the notebook never imported it, so pin has no pin for it."""
    nb = load(_notebook(tmp_path, code("import pandas as pd\nimport sklearn", 1)))
    pins = pin_notebook(nb, environment=env)
    assert "numpy" not in [canonical(p.distribution) for p in pins.pins]
    deps = package_dependencies(FILES, PKG, pins, env, metadata_for(env.python))
    assert deps.requirements[0] == f"numpy=={env.version_of('numpy')}"


def test_a_printed_version_outranks_the_environment(tmp_path: Path, env: Environment) -> None:
    printed = {"output_type": "stream", "name": "stdout", "text": "0.0.1\n"}
    path = _notebook(tmp_path, code("import pandas as pd\nprint(pd.__version__)", 1, [printed]))
    deps = dependencies_for(FILES, PKG, load(path), sys.executable)
    assert "pandas==0.0.1" in deps.requirements
    assert any("pandas==0.0.1" in note for note in deps.notes)


def test_installed_never_imported_is_kept_unless_the_kernel_needs_it(
    tmp_path: Path, env: Environment
) -> None:
    path = _notebook(
        tmp_path,
        code("%pip install iniconfig ipykernel traitlets", 1),
        code("import pandas", 2),
    )
    deps = dependencies_for(FILES, PKG, load(path), sys.executable)
    assert _names(deps) == ["iniconfig", "numpy", "pandas", "scikit-learn"]
    iniconfig = deps.direct[0]
    assert iniconfig.specifier == f"=={env.version_of('iniconfig')}"
    assert iniconfig.why == (
        "cell 0: pip install iniconfig ipykernel traitlets (not imported: used indirectly)",
    )


def test_runtime_modules_add_what_is_used_indirectly(tmp_path: Path, env: Environment) -> None:
    nb = load(_notebook(tmp_path, code("import pandas", 1)))
    deps = dependencies_for(
        FILES, PKG, nb, sys.executable, runtime_modules=("yaml", "IPython.core", "numpy.linalg")
    )
    assert _names(deps) == ["numpy", "pandas", "pyyaml", "scikit-learn"]


def test_unknown_local_and_path_dependencies(tmp_path: Path, env: Environment) -> None:
    (tmp_path / "helpers.py").write_text("x = 1\n")
    files = {
        f"src/{PKG}/model.py": "import helpers\nimport no_such_module_xyz\nimport mylib\nimport numpy\n"
    }
    nb = load(_notebook(tmp_path, code("import helpers\nimport mylib", 1)))
    deps = dependencies_for(files, PKG, nb, sys.executable, path_dependencies={"mylib"})
    assert _names(deps) == ["numpy"]
    assert [(u.module, u.reason, u.importers) for u in deps.unmapped] == [
        ("helpers", "local", (f"{PKG}.model",)),
        ("no_such_module_xyz", "unknown", (f"{PKG}.model",)),
    ]


# -- the closure, on a made-up environment: markers, extras, what is not installed

_DISTS = {
    "alpha": ("1.0", ["beta[fast]>=1", "gamma; extra == 'plot'", "delta; sys_platform == 'win32'"]),
    "beta": ("2.0", ["epsilon; extra == 'fast'", "zeta; python_version < '3'"]),
    "gamma": ("3.0", ["missing-dist"]),
    "delta": ("4.0", []),
    "epsilon": ("5.0", []),
    "zeta": ("6.0", []),
}
_MARKERS = {"sys_platform": "linux", "python_version": "3.11", "python_full_version": "3.11.7"}


def _made_up() -> tuple[Environment, Metadata]:
    env = Environment(
        python="/made/up/python",
        source="test",
        version="3.11.7",
        distributions=MappingProxyType({k: (k, v[0]) for k, v in _DISTS.items()}),
        top_level=MappingProxyType({k: (k,) for k in _DISTS}),
        namespaces=MappingProxyType({}),
        modules=frozenset(_DISTS),
        stdlib=frozenset(sys.stdlib_module_names),
    )
    requires = MappingProxyType({k: tuple(v[1]) for k, v in _DISTS.items()})
    return env, Metadata(requires, MappingProxyType(_MARKERS))


@pytest.mark.parametrize(
    ("install", "expected"),
    [
        ("", {"alpha": (), "beta": ("alpha",), "epsilon": ("beta",)}),
        (
            "%pip install alpha[plot]==1.0",
            {
                "alpha": (),
                "beta": ("alpha",),
                "epsilon": ("beta",),
                "gamma": ("alpha",),
                "missing-dist": ("gamma",),
            },
        ),
    ],
    ids=["markers-and-extras", "extra-of-the-direct-requirement"],
)
def test_closure_follows_markers_and_extras(
    tmp_path: Path, install: str, expected: dict[str, tuple[str, ...]]
) -> None:
    env, metadata = _made_up()
    nb = load(_notebook(tmp_path, code(f"{install}\nimport alpha", 1)))
    pins = pin_notebook(nb, environment=env)
    deps = package_dependencies({f"src/{PKG}/m.py": "import alpha\n"}, PKG, pins, env, metadata)
    assert {e.name: e.required_by for e in deps.environment} == expected
    assert [(e.name, e.version) for e in deps.environment if e.name in ("alpha", "beta")] == [
        ("alpha", "1.0"),
        ("beta", "2.0"),
    ]
    if "missing-dist" in expected:
        assert deps.notes == (f"missing-dist is required but not installed in {env.python}",)
        assert deps.requirements == ("alpha[plot]==1.0",)


# -- the pyproject template


def test_pyproject_lists_the_direct_requirements_with_why() -> None:
    direct = [
        Requirement("numpy", "==2.0.0", ("shop.data, shop.model import numpy",)),
        Requirement("scikit-learn", "==1.5.0", ("shop.model imports sklearn",), ("extra",)),
    ]
    text = render_template(
        "pyproject.toml.j2",
        package=PKG,
        distribution=PKG,
        notebook_name="nb.ipynb",
        requires_python=">=3.10",
        dependencies=[*direct, "mylib @ file:///somewhere/mylib"],
    )
    assert tomllib.loads(text)["project"]["dependencies"] == [
        "numpy==2.0.0",
        "scikit-learn[extra]==1.5.0",
        "mylib @ file:///somewhere/mylib",
    ]
    assert '"numpy==2.0.0",  # shop.data, shop.model import numpy\n' in text


# -- the lock file, offline: pip lock over hand-made wheels in a local folder


def _wheel(folder: Path, name: str, version: str, requires: list[str]) -> None:
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": "",
        f"{info}/METADATA": "Metadata-Version: 2.1\n"
        f"Name: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)


def _deps(*environment: Locked) -> Dependencies:
    direct = tuple(
        Requirement(e.name, f"=={e.version}", (f"{PKG}.model imports {e.name}",))
        for e in environment
        if e.direct
    )
    return Dependencies(direct, environment, (), sys.executable, "3.11.7")


_NB2PROD_ALPHA = Locked("nbtwoprodalpha", "1.0", True, ())
_NB2PROD_BETA = Locked("nbtwoprodbeta", "2.0", False, ("nbtwoprodalpha",))


def test_pylock_from_the_environment_pins(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels, "nbtwoprodalpha", "1.0", ["nbtwoprodbeta"])
    _wheel(wheels, "nbtwoprodbeta", "1.0", [])
    _wheel(wheels, "nbtwoprodbeta", "2.0", [])  # the newest; the environment's version wins
    _wheel(wheels, "nbtwoprodbeta", "3.0", [])
    deps = _deps(_NB2PROD_ALPHA, _NB2PROD_BETA)
    made = lock(deps, pip_options=("--no-index", "--find-links", str(wheels)))
    assert (made.name, made.hashed) == (PYLOCK, True), made.note
    locked = tomllib.loads(made.text)
    assert [(p["name"], p["version"]) for p in locked["packages"]] == [
        ("nbtwoprodalpha", "1.0"),
        ("nbtwoprodbeta", "2.0"),
    ]
    for package in locked["packages"]:
        (wheel,) = package["wheels"]
        data = (wheels / wheel["name"]).read_bytes()
        assert wheel["hashes"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert made.text.startswith("# The environment of this package, locked by nb2prod")


def test_requirements_lock_when_pip_cannot_lock(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    deps = _deps(_NB2PROD_ALPHA, _NB2PROD_BETA)
    made = lock(deps, pip_options=("--no-index", "--find-links", str(empty)))
    assert (made.name, made.hashed) == (REQUIREMENTS_LOCK, False)
    assert made.note.startswith("no hashes: `pip lock` failed (ERROR:")
    lines = [line for line in made.text.splitlines() if not line.startswith("#")]
    assert [line.split()[0] for line in lines] == ["nbtwoprodalpha==1.0", "nbtwoprodbeta==2.0"]
    assert lines[1].endswith("# via nbtwoprodalpha")
    assert made.text == requirements_lock(deps, made.note)


def test_nothing_to_lock() -> None:
    made = lock(_deps())
    assert (made.name, made.hashed) == (PYLOCK, True)
    assert tomllib.loads(made.text) == {
        "lock-version": "1.0",
        "created-by": "nb2prod",
        "packages": [],
    }
