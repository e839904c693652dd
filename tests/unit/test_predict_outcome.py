"""The predict check's outcome crosses from the child that imports the generated package to
nb2prod's process, which does not: the package's own functions, classes and objects go as
their names (a search whose `refit` is the notebook's function, moved into the package)."""

from __future__ import annotations

import importlib
import pickle
import sys
from pathlib import Path

import pytest

from nb2prod.verify.predict_path import PackageValue, _read_outcome
from nb2prod.verify.programs.predict_program import _OutcomePickler

MODULE = """
def refit_strategy(results):
    return 0


class Selector:
    def __init__(self):
        self.k = 3
"""


def test_the_packages_own_values_arrive_as_their_names(tmp_path: Path) -> None:
    package = tmp_path / "src" / "owned_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "train.py").write_text(MODULE)
    sys.path.insert(0, str(package.parent))
    try:
        train = importlib.import_module("owned_pkg.train")

        outcome = {
            "stage": "done",
            "fitted_model": {"refit": train.refit_strategy, "step": train.Selector()},
            "kind": train.Selector,
            "rows": [1.5, 2.5],
        }
        plain = tmp_path / "plain.pkl"
        plain.write_bytes(pickle.dumps(outcome))
        written = tmp_path / "predict.pkl"
        with open(written, "wb") as handle:
            _OutcomePickler(handle, "owned_pkg").dump(outcome)
    finally:
        sys.path.remove(str(package.parent))
        for name in [m for m in sys.modules if m.split(".")[0] == "owned_pkg"]:
            del sys.modules[name]
    # pickled as they are, they do not load where the package cannot be imported
    with pytest.raises(ModuleNotFoundError):
        pickle.loads(plain.read_bytes())
    read = _read_outcome(written, "", 0)
    assert read["stage"] == "done" and read["rows"] == [1.5, 2.5]
    assert read["fitted_model"] == {
        "refit": PackageValue("owned_pkg.train.refit_strategy"),
        "step": PackageValue("owned_pkg.train.Selector"),
    }
    assert read["kind"] == PackageValue("owned_pkg.train.Selector")
