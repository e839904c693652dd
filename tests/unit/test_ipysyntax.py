"""IPython syntax as IPython reads it: automagic, help lines, indented magics, autocall escapes,
and the names `%%cython`, `%%writefile` and `%run` bind.

IPython itself is the oracle: each cell is translated by nb2prod and by IPython's
`InteractiveShell.transform_cell` (with a fresh namespace, so nothing shadows a magic), and the
two must parse alike and make the same magic calls.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Container
from importlib import resources
from typing import Any

import pytest

from nb2prod.analysis.dataflow import analyze_cell
from nb2prod.analysis.magics import (
    BoundNames,
    bind_written_modules,
    cython_names,
    module_names,
)
from nb2prod.analysis.records import CellSymbols
from nb2prod.notebook.ipysyntax import (
    automagic,
    automagic_hint,
    automagic_names,
    may_have_ipython_syntax,
    translate,
)

# Cells whose translation must agree with IPython's: automagic where IPython applies it and
# where it does not (several lines, `=` or `,` after the name, an attribute, not a magic),
# help lines, magics and shell escapes inside blocks, and the autocall escapes.
IPYTHON_CELLS = [
    "pip install imblearn",
    "pip install -q scikit-learn==1.5  ",
    "\n\n  cd ../data",
    "cd(folder)",
    "pwd + 1",
    "pwd == 1",
    "pwd = 3",
    "pwd, cwd = 1, 2",
    "time.sleep(1)",
    "time f(x)",
    "ls -la",
    "ls",
    "cat data.csv",
    "timeit model.predict(X)",
    "matplotlib inline",
    "load_ext autoreload",
    "autoreload 2",
    "store -r data",
    "env",
    "who",
    "history",
    "run helpers.py;",
    "pip install x # a comment",
    "pwd\n",
    "pwd\n\n",
    "# where are we\npwd",
    "pip install imblearn\nimport imblearn",
    "for path in paths:\n    cd path",
    "cwd",
    "df.head?",
    "??np.sum",
    "np.sum?  # with a comment",
    "for i in range(3):\n    %time f(i)\n",
    "if verbose:\n    !ls\n",
    "for column in columns:\n    df[column]?\n",
    ";",
    "plot(x)\n;",
    "/f x",
    ",f a b",
    "total = (a\n         / b)",
    "items = [a\n         , b]",
    "x = %time f()",
    "listing = !ls",
]


@pytest.fixture(scope="module")
def ipython() -> Any:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.extension_manager.load_extension("storemagic")  # as every Jupyter kernel does
    shell.extension_manager.load_extension("autoreload")
    return shell


def _meaning(code: str) -> tuple[bool, list[str]]:
    """Whether the code parses, and the IPython calls it makes, in order."""
    try:
        ast.parse(code)
    except SyntaxError:
        return False, []
    return True, re.findall(r"get_ipython\(\)\.\w+\(.*", code)


@pytest.mark.parametrize("cell", IPYTHON_CELLS)
def test_translation_agrees_with_ipython(ipython: Any, cell: str) -> None:
    theirs = ipython.transform_cell(cell)
    assert _meaning(translate(cell, bound=set())) == _meaning(theirs)


def test_single_line_automagic_is_translated_exactly_as_ipython_does(ipython: Any) -> None:
    for cell in ("pip install -q x  ", "\n  cd ../data", "pwd + 1", "run helpers.py;"):
        assert translate(cell, bound=set()) == ipython.transform_cell(cell)


@pytest.mark.parametrize(
    ("cell", "bound", "expected"),
    [
        # nothing known about the notebook's names: a line that parses is Python
        ("pwd", None, None),
        ("history", None, None),
        ("cd(folder)", None, None),
        ("pip install imblearn", None, ("pip", "install imblearn")),
        ("time f(x)", None, ("time", "f(x)")),
        # the names bound before the cell decide, as IPython's namespace does
        ("pwd", set(), ("pwd", "")),
        ("history", {"history"}, None),
        ("history", {"model"}, ("history", "")),
        ("cd(folder)", {"folder"}, ("cd", "(folder)")),
        ("time f(x)", {"time"}, None),  # `import time` shadows %time: a syntax error in Jupyter
        # never automagic
        ("pwd = 3", set(), None),
        ("ls, cwd = 1, 2", set(), None),
        ("time.sleep(1)", set(), None),
        ("pip install x\nimport x", set(), None),
        ("cwd", set(), None),
    ],
)
def test_shadowing(cell: str, bound: Container[str] | None, expected: object) -> None:
    assert automagic(cell, bound) == expected


def test_automagic_names_are_ipythons_registry() -> None:
    data = json.loads(
        resources.files("nb2prod.data").joinpath("ipython_magics.json").read_text("utf-8")
    )
    names = automagic_names()
    assert {"pip", "conda", "cd", "pwd", "env", "matplotlib", "load_ext", "time"} <= names
    assert {"timeit", "who", "run", "store"} <= names  # %store: storemagic, loaded by kernels
    assert {"ls", "cat"} <= names and {"ls", "cat"} <= set(data["aliases"])
    assert {"autoreload", "aimport"} <= names  # once `%load_ext autoreload` ran
    assert names <= set(data["line"]) | {"autoreload", "aimport"}
    assert "writefile" not in names  # a cell magic only


def test_ipython_is_not_imported_for_plain_cells_and_automagic() -> None:
    program = (
        "import sys\n"
        "from nb2prod.notebook.ipysyntax import translate\n"
        "assert translate('pip install x').startswith('get_ipython().run_line_magic')\n"
        "assert translate('pwd', set()).startswith('get_ipython()')\n"
        "assert translate('total = (a\\n / b)') == 'total = (a\\n / b)'\n"
        "assert 'IPython' not in sys.modules, 'IPython was imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_a_magic_line_in_a_longer_cell_gets_a_hint() -> None:
    cell = "import os\npip install imblearn\nimport imblearn"
    assert "`%pip`" in (automagic_hint(cell, 2) or "")
    assert automagic_hint(cell, 1) is None  # not a magic
    assert automagic_hint("pwd = 3 +\n", 1) is None  # an assignment, just broken
    assert automagic_hint(cell, 9) is None


def test_automagic_cells_may_hold_ipython_syntax() -> None:
    # what convert asks before translating a %%time body
    assert may_have_ipython_syntax("pip install x")
    assert not may_have_ipython_syntax("pip = 3")
    assert not may_have_ipython_syntax("import os\nos.getcwd()")


# -- %%cython, %%writefile and %run


def test_cython_names_are_those_python_sees() -> None:
    body = (
        "cimport numpy as cnp\n"
        "import numpy as np\n"
        "cdef double _square(double x):\n    return x * x\n"
        "cdef int c_only(int n):\n    return n\n"
        "cpdef np.ndarray[double, ndim=1] smooth(double[:] a):\n    pass\n"
        "cpdef inline int clip(int v):\n    return v\n"
        "def dcumsum(a, b):\n    cdef int i\n"
        "cdef public class Point:\n    cdef public double x\n"
        "LIMIT = 10\n"
    )
    assert set(cython_names(body)) == {"np", "smooth", "clip", "dcumsum", "Point", "LIMIT"}


def test_module_names_follow_dunder_all_for_star_imports() -> None:
    names, exported = module_names(
        "import os\n__all__ = ['load']\ndef load(p):\n    return p\ndef _helper():\n    pass\n"
    )
    assert names == {"os", "__all__", "load", "_helper"}
    assert exported == {"load"}
    names, exported = module_names("import os\ndef load(p):\n    pass\n_cache = {}\n")
    assert exported == {"os", "load"}
    assert "_cache" in names


def _cells(*sources: str) -> tuple[list[str], list[CellSymbols | None]]:
    return list(sources), [analyze_cell(s) for s in sources]


def test_star_import_of_a_written_module_binds_its_names() -> None:
    sources, symbols = _cells(
        "%%writefile helpers.py\nimport numpy as np\ndef load(path):\n    return path\n",
        "from helpers import *\ndata = load('x.csv')\n",
        "arr = np.zeros(3)\n",
    )
    assert symbols[1] is not None and symbols[1].hidden_origins  # alone, it hides its names
    resolved = bind_written_modules(sources, symbols)
    importer = resolved[1]
    assert importer is not None
    assert not importer.hidden_origins
    assert {"load", "np", "data"} <= importer.defined_names
    assert "load" not in importer.used_names  # bound by the import above the read


def test_appended_and_nested_written_modules() -> None:
    sources, symbols = _cells(
        "%%writefile src/tools.py\ndef one():\n    return 1\n",
        "%%writefile -a src/tools.py\ndef two():\n    return 2\n",
        "from src.tools import *\n",
        "from tools import *\n",  # with src/ on sys.path
    )
    resolved = bind_written_modules(sources, symbols)
    for index in (2, 3):
        sym = resolved[index]
        assert sym is not None and {"one", "two"} <= sym.defined_names
        assert not sym.hidden_origins


def test_run_of_a_written_file_binds_every_name_and_others_stay_hidden() -> None:
    sources, symbols = _cells(
        "%%writefile setup_data.py\n_seed = 3\nframe = [1, 2]\n",
        "%run setup_data.py\nprint(frame, _seed)\n",
        "%run -i other_script.py\n",
        "from elsewhere import *\n",
    )
    resolved = bind_written_modules(sources, symbols)
    runner, other, star = resolved[1], resolved[2], resolved[3]
    assert runner is not None and {"frame", "_seed"} <= runner.defined_names
    assert not runner.hidden_origins and not {"frame", "_seed"} & runner.used_names
    assert other is not None and [r.name for r in other.hidden_origins] == [
        "%run -i other_script.py"
    ]
    assert star is not None and [r.name for r in star.hidden_origins] == ["from elsewhere import *"]


def test_a_module_written_later_is_not_bound_yet() -> None:
    sources, symbols = _cells(
        "from helpers import *\n",
        "%%writefile helpers.py\ndef load(path):\n    return path\n",
    )
    assert bind_written_modules(sources, symbols)[0] == symbols[0]


def test_bound_names_follow_a_top_to_bottom_run_until_a_hidden_origin() -> None:
    bound = BoundNames()
    seen: list[bool | None] = []
    for source in ("history = fit()", "pwd", "from pylab import *", "hist(x)"):
        seen.append(None if bound.names is None else "history" in bound.names)
        bound.add(analyze_cell(source))
    # a star import may bind `pwd` or `hist`: from there on, only Python decides
    assert seen == [False, True, True, None]
