"""End to end, real kernels: verify claims a difference only with proof, and compares the
notebook's own objects inside the runs.

- Random numbers drawn through another module's mirror of numpy (`import autograd.numpy as np`,
  played here by a small module of the test's own, which NB109 does not recognise): a statement
  the package leaves out drew from the global generator, so the package draws other numbers.
  That is the notebook's nondeterminism (NB402), never NB401; a value that does not depend on
  the generators is still proven different when the package changes it.
- An object of a class defined in the notebook is compared by its public state, although
  nb2prod cannot import the class: equivalent, and a change to its state is caught.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nb2prod.cli import ExitCode, main
from tests.helpers import code, md, notebook, write

pytestmark = pytest.mark.slow

MIRROR = '''"""numpy's API through another module, as autograd.numpy offers it."""
import numpy as _numpy


class _Random:
    def __getattr__(self, name):
        return getattr(_numpy.random, name)


random = _Random()


def __getattr__(name):
    return getattr(_numpy, name)
'''

FITTER = '''class UpperAsymptoteFitter:
    """A fitter as lifelines writes them: the time of the fit in a private attribute."""

    def __init__(self, penalty=0.5):
        self.penalty = penalty
        self.link = np.exp

    def fit(self, values):
        self._time_fit_was_called = time.time()
        self.upper_ = float(np.max(values)) + self.penalty
        self.parts_ = [Part(v) for v in values[:2]]
        return self


class Part:
    def __init__(self, v):
        self.v = float(v)
'''


def _report(package: Path) -> dict[str, dict[str, str]]:
    verification = json.loads((package / "nb2prod-report.json").read_text("utf-8"))
    return {
        value["name"]: value
        for function in verification["verification"]["functions"]
        for value in function["values"]
    }


def test_draws_moved_by_a_left_out_statement_are_not_blamed_on_the_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mirrornp.py").write_text(MIRROR, "utf-8")
    path = write(
        tmp_path / "draws.ipynb",
        notebook(
            code("import mirrornp as np", 1, outputs=[]),
            md("## Data"),
            code("print(np.random.rand())\nnoise = np.random.rand(5)", 2, outputs=[]),
            md("## Features"),
            code("scaled = noise * 2\nsize = len(noise)", 3, outputs=[]),
        ),
    )
    assert main(["check", str(path), "--select", "NB109"]) == ExitCode.OK  # nothing seen statically
    package = tmp_path / "pkg"
    assert main(["convert", str(path), "--out", str(package), "--no-verify"]) == ExitCode.OK
    features = next(package.glob("src/*/features.py"))
    text = features.read_text("utf-8")
    assert "size = len(noise)" in text and "print(" not in text  # the extra draw is left out
    features.write_text(text.replace("size = len(noise)", "size = len(noise) + 1"), "utf-8")
    capsys.readouterr()

    status = main(["verify", str(path), str(package)])
    out = capsys.readouterr().out
    values = _report(package)
    assert status == ExitCode.FINDINGS, out
    assert values["size"]["verdict"] == "differs"  # 5 in every run of the notebook
    for drawn in ("noise", "scaled"):
        assert values[drawn]["verdict"] == "unverified", values[drawn]
        assert "another seed" in values[drawn]["detail"]
    assert "NB401" in out and "'size'" in out
    assert "'noise' different" not in out and "'scaled' different" not in out


def test_objects_of_the_notebooks_own_class_are_compared_by_their_public_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "fitter.ipynb",
        notebook(
            code("import time\nimport numpy as np", 1, outputs=[]),
            md("## Model"),
            code(FITTER, 2, outputs=[]),
            code("fitter = UpperAsymptoteFitter(penalty=0.25).fit(np.arange(5.0))", 3, outputs=[]),
        ),
    )
    package = tmp_path / "pkg"
    status = main(["convert", str(path), "--out", str(package)])
    out = capsys.readouterr().out
    assert status == ExitCode.OK, out
    fitter = _report(package)["fitter"]
    assert fitter["verdict"] == "equivalent", fitter
    assert "parts_" in fitter["detail"] and "upper_" in fitter["detail"]

    model = next(package.glob("src/*/model.py"))
    text = model.read_text("utf-8")
    model.write_text(text.replace("self.v = float(v)", "self.v = float(v) * 2"), "utf-8")
    status = main(["verify", str(path), str(package)])
    out = capsys.readouterr().out
    assert status == ExitCode.FINDINGS, out
    assert "NB401" in out and ".parts_[1].v" in out
