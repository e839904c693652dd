"""`verify` on a notebook written with automagic: `pip install`, `cd` and `pwd` with no `%`.

The kernel runs those lines as magics (IPython's automagic); the conversion must read them the
same way, or the notebook is refused ("cell 0 does not parse") or the package fails (`pwd` as an
undefined name). The install is of a distribution every kernel has, from no index: no network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.api import Verified, VerifyOptions, verify
from nb2prod.core.vocabulary import Verdict
from tests.helpers import code, notebook, write

pytestmark = pytest.mark.slow

CELLS = [
    "pip install --no-index ipykernel",
    "import os",  # `%cd` converts to os.chdir, which finds no `os` otherwise (render.py)
    "cd .",
    "pwd",
    "values = [3, 1, 2]",
    "def ordered(xs):\n    return sorted(xs)",
    "timeit -n 1 -r 1 ordered(values)",
    "result = ordered(values)\nprint(result)",
]


def test_an_automagic_notebook_verifies(tmp_path: Path) -> None:
    path = write(tmp_path / "automagic.ipynb", notebook(*(code(source) for source in CELLS)))
    result = verify(str(path), None, VerifyOptions(second_run=False))
    assert isinstance(result, Verified), result
    verification = result.verification
    assert verification.package_error is None
    assert verification.verdict is Verdict.EQUIVALENT
    assert [f.function for f in verification.functions if f.verdict is Verdict.EQUIVALENT]
    kept = [p.statement.code for p in result.plan.statements if p.kept]
    assert "pwd" not in kept and "os.chdir('.')" in kept
