"""Automagic (`pip install x`, `cd ..` with no `%`) and the definitions magics make, through
check, pin and convert: each reads the line as the magic its `%` form is.

The `%` twin of a notebook is the oracle: converting the automagic notebook must give the same
statements, rewrites and requirements as converting the same notebook with every `%` written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.analysis.statements import split_cells
from nb2prod.api import Checked, PinOptions, check, pin
from nb2prod.convert.build import build
from nb2prod.lint.check import CheckRequest, check_file
from nb2prod.notebook.load import load
from nb2prod.pin.model import PinResult
from tests.helpers import code, notebook, write

# (automagic line, the same line as IPython runs it): one single-line cell each
AUTOMAGIC_LINES = [
    ("pip install --no-index imblearn", "%pip install --no-index imblearn"),
    ("cd ..", "%cd .."),
    ("matplotlib inline", "%matplotlib inline"),
    ("timeit total(values)", "%timeit total(values)"),
    ("ls -la", "%ls -la"),
    ("env MY_FLAG=1", "%env MY_FLAG=1"),
    ("load_ext autoreload", "%load_ext autoreload"),
]
BODY = [
    "import os",
    "values = [1, 2, 3]",
    "def total(xs):\n    return sum(xs)",
    "result = total(values)\nprint(result, os.sep)",
]


def _notebook(tmp_path: Path, name: str, sources: list[str]) -> str:
    cells = [code(source, count) for count, source in enumerate(sources, start=1)]
    return str(write(tmp_path / f"{name}.ipynb", notebook(*cells)))


def _findings(path: str, *codes: str) -> list[tuple[str, int]]:
    (result,) = check([path], CheckRequest(select=codes or None)).results
    assert isinstance(result, Checked), result
    return [(f.code, f.cell) for f in result.findings]


def _sources(automagic: bool) -> list[str]:
    lines = [pair[0] if automagic else pair[1] for pair in AUTOMAGIC_LINES]
    return lines[:3] + BODY + lines[3:]


# -- check


def test_check_finds_no_syntax_error_in_automagic_lines(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "auto", _sources(automagic=True))
    assert _findings(path) == []


def test_check_reports_automagic_where_ipython_does_not_apply_it(tmp_path: Path) -> None:
    # IPython tries automagic on single-line cells only; here Jupyter raises SyntaxError too
    path = _notebook(tmp_path, "multi", ["pip install imblearn\nimport imblearn", *BODY])
    assert _findings(path, "NB112") == [("NB112", 0)]


def test_check_sees_the_names_a_cython_cell_defines(tmp_path: Path) -> None:
    cython = "%%cython\ncpdef double twice(double x):\n    return 2 * x\ncdef int hidden(int n):\n    return n"
    path = _notebook(tmp_path, "cython", ["%load_ext cython", cython, "print(twice(2.0))"])
    assert _findings(path, "NB103", "NB104", "NB110") == []
    uses_c_only = _notebook(tmp_path, "cdef", ["%load_ext cython", cython, "print(hidden(2))"])
    assert _findings(uses_c_only, "NB104") == [("NB104", 2)]  # a cdef function is C-only


def test_check_sees_a_star_import_of_a_module_the_notebook_wrote(tmp_path: Path) -> None:
    writer = "%%writefile helpers.py\nimport math\ndef area(r):\n    return math.pi * r ** 2"
    path = _notebook(tmp_path, "written", [writer, "from helpers import *", "print(area(2))"])
    assert _findings(path, "NB104", "NB110") == []
    missing = _notebook(tmp_path, "missing", [writer, "from helpers import *", "print(volume(2))"])
    assert _findings(missing, "NB104", "NB110") == [("NB104", 2)]  # no hidden origin left


def test_check_sees_what_a_run_of_a_written_script_defines(tmp_path: Path) -> None:
    writer = "%%writefile prepare.py\ntable = {'a': 1}"
    path = _notebook(tmp_path, "run", [writer, "%run prepare.py", "print(table)"])
    assert _findings(path, "NB104", "NB110") == []
    other = _notebook(tmp_path, "other", ["%run prepare.py", "print(table)"])
    assert _findings(other, "NB104", "NB110") == [("NB110", 1)]  # still a hidden origin


@pytest.mark.parametrize("line", ["pwd", "ls", "who"])
def test_check_takes_a_lone_magic_name_for_the_magic(tmp_path: Path, line: str) -> None:
    path = _notebook(tmp_path, "lone", ["import os", line])
    assert _findings(path, "NB104") == []  # not an undefined name: IPython runs %pwd


# -- pin


def test_pin_counts_an_automagic_install_like_the_percent_form(tmp_path: Path) -> None:
    found = {}
    for automagic in (True, False):
        path = _notebook(tmp_path, f"pin{automagic}", _sources(automagic))
        result = pin(path, PinOptions())
        assert isinstance(result, PinResult), result
        found[automagic] = [(f.code, f.cell, f.line) for f in result.findings if f.code == "NB203"]
    assert found[True] == found[False] == [("NB203", 0, 1)]


# -- convert


def _converted(path: str) -> list[tuple[int, str, str | None, str | None, bool]]:
    statements, problems = split_cells(load(path))
    assert problems == ()
    return [(s.cell, s.code, s.rewrite, s.requirement, s.dropped_magic) for s in statements]


def test_convert_handles_automagic_like_the_percent_form(tmp_path: Path) -> None:
    # the same file name in two folders: the generated files name the notebook
    (tmp_path / "automagic").mkdir()
    (tmp_path / "percent").mkdir()
    automagic = _notebook(tmp_path / "automagic", "nb", _sources(automagic=True))
    percent = _notebook(tmp_path / "percent", "nb", _sources(automagic=False))
    assert _converted(automagic) == _converted(percent)
    by_form = {}
    for form, path in (("automagic", automagic), ("percent", percent)):
        _plan, package = build(path, package="same", pin=False)
        by_form[form] = {
            name: text for name, text in package.files.items() if name.endswith((".py", ".toml"))
        }
    assert by_form["automagic"] == by_form["percent"]
    generated = "\n".join(by_form["automagic"].values())
    assert "get_ipython" not in generated and "pip install" not in generated
    assert 'os.chdir("..")' in generated


def test_convert_keeps_a_shadowed_magic_name_as_python(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "shadow", ["history = [0.9, 0.95]", "history", "pwd"])
    statements = {s.cell: s for s in split_cells(load(path))[0]}
    assert statements[1].code == "history" and not statements[1].dropped_magic
    assert statements[2].dropped_magic and (statements[2].rewrite or "").startswith("%pwd dropped")


def test_a_multiline_cell_with_an_automagic_line_says_to_write_the_percent(tmp_path: Path) -> None:
    """IPython applies automagic to one-line cells only; NB112 says how to fix the rest."""
    path = write(tmp_path / "nb.ipynb", notebook(code("pip install imblearn\nimport imblearn", 1)))
    result = check_file(str(path))
    assert isinstance(result, Checked)
    (nb112,) = [f for f in result.findings if f.code == "NB112"]
    assert "write `%pip`" in nb112.message
