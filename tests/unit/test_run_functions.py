"""A function of the notebook or the package held inside a value (a search's `refit=` strategy)
is read back by its name where its run's module does not exist, and compared by that name
(`capture._RunUnpickler`, `compare.objects.RunFunction`): such a value used to be unreadable,
so the whole search stayed unverified."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod.verify.capture import read_captures
from nb2prod.verify.compare import RunFunction, compare

pytest.importorskip("sklearn")

SEARCH = (
    "from sklearn.model_selection import GridSearchCV\n"
    "from sklearn.svm import SVC\n"
    "search = GridSearchCV(SVC(), {{'C': [1, 10]}}, refit={name})\n"
)
NOTEBOOK = (
    "import pickle, sys\n"
    "def refit_strategy(results):\n    return 0\n"
    "def other_strategy(results):\n    return 0\n"
    + SEARCH
    + "open(sys.argv[1], 'wb').write(pickle.dumps({{'search': pickle.dumps(search)}}))\n"
)
PACKAGE_MODULE = "def refit_strategy(results):\n    return 0\n"
PACKAGE = (
    "import pickle, sys\n"
    "from timed_pkg.model import refit_strategy\n"
    + SEARCH
    + "open(sys.argv[1], 'wb').write(pickle.dumps({{'search': pickle.dumps(search)}}))\n"
)


def _captured(folder: Path, program: str, name: str, path: Path | None = None) -> object:
    folder.mkdir()
    env_path = [str(path)] if path else []
    subprocess.run(
        [sys.executable, "-c", program.format(name=name), str(folder / "train.pkl")],
        check=True,
        env={"PYTHONPATH": ":".join([*env_path, *sys.path])},
    )
    return read_captures(folder).values["train"]["search"]


def test_the_run_functions_read_back_by_name_and_compare_by_it(tmp_path: Path) -> None:
    source = tmp_path / "src" / "timed_pkg"
    source.mkdir(parents=True)
    (source / "__init__.py").write_text("")
    (source / "model.py").write_text(PACKAGE_MODULE)
    notebook = _captured(tmp_path / "nb", NOTEBOOK, "refit_strategy")
    package = _captured(tmp_path / "pkg", PACKAGE, "refit_strategy", tmp_path / "src")
    other = _captured(tmp_path / "other", NOTEBOOK, "other_strategy")

    assert not isinstance(notebook, str), notebook  # not the "could not be read back" marker
    assert notebook.refit == RunFunction("refit_strategy")  # type: ignore[attr-defined]
    assert package.refit == RunFunction("refit_strategy")  # type: ignore[attr-defined]
    assert compare(notebook, package).verdict == "equal"
    result = compare(notebook, other)
    assert result.verdict == "differs"
    assert "refit_strategy vs other_strategy" in result.detail


def test_a_run_function_never_resolves_to_this_process_main(tmp_path: Path) -> None:
    # nb2prod's own __main__ may have a function of the same name: it is not the notebook's
    blob = pickle.dumps({"value": b"c__main__\nmain\n."})  # protocol 0: the global __main__.main
    (tmp_path / "f.pkl").write_bytes(blob)
    assert read_captures(tmp_path).values["f"]["value"] == RunFunction("main")
