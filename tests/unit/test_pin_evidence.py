"""Evidence read from the notebook itself: install commands, printed versions, written modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nb2prod.notebook.load import load
from nb2prod.notebook.model import Cell
from nb2prod.pin.evidence import collect
from nb2prod.pin.installs import parse_install
from nb2prod.pin.mapping import table
from tests.helpers import code, md, notebook, write

CELL = Cell(3, "c3", "code", "", 7)

# (shell text, [(name, exact version, specifier, extras)], skipped arguments, python version)
INSTALLS: list[
    tuple[str, list[tuple[str, str | None, str | None, tuple[str, ...]]], list[str], str | None]
] = [
    ("pip install numpy==1.21.0", [("numpy", "1.21.0", None, ())], [], None),
    (
        "pip install -q -U numpy pandas>=1.3",
        [("numpy", None, None, ()), ("pandas", None, ">=1.3", ())],
        [],
        None,
    ),
    (
        "pip3 install 'dask[complete]==2021.1.0'",
        [("dask", "2021.1.0", None, ("complete",))],
        [],
        None,
    ),
    (
        "python -m pip install --upgrade --user scikit-learn~=1.0",
        [("scikit-learn", None, "~=1.0", ())],
        [],
        None,
    ),
    ("/usr/bin/python3 -m pip install -i https://x/simple a==1", [("a", "1", None, ())], [], None),
    (
        "pip install -r requirements.txt -e . --index-url https://x yfoo==2.0.0-b1",
        [("yfoo", "2.0.0b1", None, ())],
        ["-r requirements.txt", "-e ."],
        None,
    ),
    (
        "pip install git+https://github.com/o/p.git#egg=pkgname ./local_dir x.whl",
        [("pkgname", None, None, ())],
        ["./local_dir", "x.whl"],
        None,
    ),
    ("pip install {pkg} $NAME", [], ["{pkg}", "$NAME"], None),
    ("pip install - q - U Slacker", [("Slacker", None, None, ())], [], None),  # seen in the wild
    ("pip install numpy==1.2.*", [("numpy", None, "==1.2.*", ())], [], None),
    (
        "apt-get install -y swig && pip install gym~=0.21.0",
        [("gym", None, "~=0.21.0", ())],
        [],
        None,
    ),
    ("pip install x  # comment with pip install y", [("x", None, None, ())], [], None),
    (
        "conda install -y -c conda-forge numpy=1.19.2 scipy",
        [("numpy", "1.19.2", None, ()), ("scipy", None, None, ())],
        [],
        None,
    ),
    (
        "conda install pandas=1.3 pytorch==1.9.0 python=3.8",
        [("pandas", None, "==1.3.*", ()), ("torch", "1.9.0", None, ())],
        [],
        "3.8",
    ),
    (
        "mamba install conda-forge::xarray=0.19.0=pyhd8ed1ab_1",
        [("xarray", "0.19.0", None, ())],
        [],
        None,
    ),
    ("conda install 'numpy>=1.20'", [("numpy", None, ">=1.20", ())], [], None),
    ("pip uninstall -y numpy", [], [], None),
    ("pip freeze", [], [], None),
    (
        "echo pip install numpy",
        [("numpy", None, None, ())],
        [],
        None,
    ),  # an echo is rare; a miss costs more than this
]


@pytest.mark.parametrize(
    ("text", "requested", "skipped", "python"), INSTALLS, ids=[t for t, *_ in INSTALLS]
)
def test_parse_install(
    text: str, requested: list[Any], skipped: list[str], python: str | None
) -> None:
    commands = list(parse_install(text, CELL, 2, table().conda))
    got = [(r.name, r.version, r.specifier, r.extras) for c in commands for r in c.requested]
    assert got == requested
    assert [s for c in commands for s in c.skipped] == skipped
    assert next((c.python for c in commands if c.python), None) == python
    for c in commands:
        assert (c.cell, c.cell_id, c.line, c.order) == (3, "c3", 2, (7, 3))


def _stream(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def _result(text: str) -> dict[str, Any]:
    return {
        "output_type": "execute_result",
        "execution_count": 1,
        "data": {"text/plain": text},
        "metadata": {},
    }


# (cell source, its outputs, {name: version} the evidence must hold, exactly)
PRINTED: list[tuple[str, list[dict[str, Any]], dict[str, str]]] = [
    ("np.__version__", [_result("'1.21.0'")], {"numpy": "1.21.0"}),
    (
        "print(np.__version__, pd.__version__)",
        [_stream("1.21.0 1.3.0\n")],
        {"numpy": "1.21.0", "pandas": "1.3.0"},
    ),
    (
        'print("pandas", pd.__version__)\nprint("numpy", np.__version__)\ndf.describe()',
        [_stream("pandas 1.3.0\nnumpy 1.21.0\n"), _result("   a\ncount 3.0\nmean 0.5\n")],
        {"pandas": "1.3.0", "numpy": "1.21.0"},
    ),
    (
        'print("Numpy version:", np.version.version)',
        [_stream("Numpy version: 1.12.1\n")],
        {"numpy": "1.12.1"},
    ),
    ("tf.__version__", [_result("'2.0.0-beta1'")], {"tensorflow": "2.0.0b1"}),
    (
        "np.__version__",
        [_result("'1.9.0.dev-d4c7c3a'")],
        {},
    ),  # not PEP 440: no pin is better than a wrong one
    (
        "print(np.__version__)\nprint(x)",
        [_stream("1.2.3\n0.5 0.25\n")],
        {},
    ),  # ambiguous: neither count nor label
    ("# np.__version__\nx", [_result("1.0.0")], {}),  # a comment is not a question
    ('importlib.metadata.version("scikit-learn")', [_result("'1.0.2'")], {"scikit-learn": "1.0.2"}),
    (
        "!pip freeze",
        [_stream("numpy==1.21.0\nPyYAML==5.4\n-e git+https://x#egg=y\n")],
        {"numpy": "1.21.0", "PyYAML": "5.4"},
    ),
    (
        "!pip list",
        [
            _stream(
                "Package    Version\n---------- -------\nnumpy      1.21.0\nsix        1.16.0  /src/six\n"
            )
        ],
        {"numpy": "1.21.0", "six": "1.16.0"},
    ),
    (
        "!pip show pandas",
        [_stream("Name: pandas\nVersion: 1.3.0\nSummary: x\nLocation: /y\n")],
        {"pandas": "1.3.0"},
    ),
    (
        "%watermark -a 'Me' -nmv --packages numpy,sklearn",
        [
            _stream(
                "Me Thu Jul 12 2018\n\nCPython 3.6.6\nIPython 6.4.0\n\nnumpy 1.12.1\nsklearn 0.19.1\n\n"
                "compiler   : GCC 4.2.1 Compatible\nrelease    : 17.6.0\nCPU cores  : 8\n"
            )
        ],
        {"IPython": "6.4.0", "numpy": "1.12.1", "sklearn": "0.19.1"},
    ),
    (
        "%watermark --iversions",
        [_stream("numpy     : 1.21.0\nmatplotlib: 3.4.2\n\n")],
        {"numpy": "1.21.0", "matplotlib": "3.4.2"},
    ),
    (
        "%version_information numpy",
        [
            {
                "output_type": "execute_result",
                "execution_count": 1,
                "metadata": {},
                "data": {
                    "application/json": {
                        "Software versions": [
                            {"module": "Python", "version": "2.7.10 64bit [GCC 4.2.1]"},
                            {"module": "numpy", "version": "1.9.2"},
                        ]
                    },
                    "text/plain": "Software versions\nPython 2.7.10\nnumpy 1.9.2\n",
                },
            }
        ],
        {"numpy": "1.9.2"},
    ),
    (
        "pd.show_versions()",
        [
            _stream(
                "INSTALLED VERSIONS\n------------------\npandas           : 1.3.0\nnumpy            : 1.21.0\n"
            )
        ],
        {"pandas": "1.3.0", "numpy": "1.21.0"},
    ),
    (
        "%pip install -U requests",
        [
            _stream(
                "Collecting requests\nSuccessfully installed certifi-2021.5.30 requests-2.26.0\n"
            )
        ],
        {"certifi": "2021.5.30", "requests": "2.26.0"},
    ),
    (
        "!pip install numpy",
        [
            _stream(
                "Requirement already satisfied: numpy in /usr/lib/python3/dist-packages (1.19.5)\n"
            )
        ],
        {"numpy": "1.19.5"},
    ),
    (
        "print(np.__version__)",
        [_stream("\x1b[0;31m1.2.3\x1b[0m\n")],
        {"numpy": "1.2.3"},
    ),  # ANSI colours stripped
]


@pytest.mark.parametrize(
    ("source", "outputs", "expected"), PRINTED, ids=[s.splitlines()[0][:40] for s, *_ in PRINTED]
)
def test_printed_versions(
    tmp_path: Path, source: str, outputs: list[dict[str, Any]], expected: dict[str, str]
) -> None:
    imports = code(
        "import numpy as np\nimport pandas as pd\nimport tensorflow as tf\nimport importlib.metadata",
        1,
    )
    path = write(tmp_path / "nb.ipynb", notebook(imports, code(source, 2, outputs)))
    found = collect(load(path))
    assert {e.name: e.version for e in found.versions} == expected
    for e in found.versions:
        assert (e.cell, e.cell_id, e.order) == (1, "c1", (2, 1))
        assert e.detail


def test_printed_python_versions(tmp_path: Path) -> None:
    cells = [
        code(
            "import sys\nprint(sys.version)",
            4,
            [_stream("3.6.7 |Anaconda, Inc.| (default, Oct 23 2018)\n")],
        ),
        code(
            "%watermark -v",
            9,
            [_stream("Python implementation: CPython\nPython version       : 3.8.5\n")],
        ),
    ]
    nb = notebook(*cells)
    nb["metadata"]["language_info"] = {"name": "python", "version": "3.7.3"}
    found = collect(load(write(tmp_path / "nb.ipynb", nb)))
    assert [(e.kind.value, e.version, e.cell) for e in found.python] == [
        ("metadata", "3.7.3", None),
        ("output", "3.6.7", 0),
        ("output", "3.8.5", 1),
    ]


def test_imports_from_every_kind_of_cell(tmp_path: Path) -> None:
    cells = [
        md("import markdown_is_not_code"),
        code("import a.b as ab, c\nfrom d.e import f\nfrom . import g\nfrom .h import i", 1),
        code(
            'print "python 2"\nimport j\nfrom k.l import (m, n)', 2
        ),  # does not parse: read line by line
        code(
            "%%capture\n%pip install o\nimport p", 3
        ),  # the cell-magic body is analysed on its own
        code("%load_ext autoreload\n%load_ext watermark", 4),
        code("def f():\n    import q\n", 5),
    ]
    found = collect(load(write(tmp_path / "nb.ipynb", notebook(*cells))))
    got = [("." * u.level + u.module, u.name, u.cell, u.line) for u in found.imports]
    assert got == [
        ("a.b", None, 1, 1),
        ("c", None, 1, 1),
        ("d.e", "f", 1, 2),
        (".", "g", 1, 3),
        (".h", "i", 1, 4),
        ("j", None, 2, 2),
        ("k.l", "m", 2, 3),
        ("k.l", "n", 2, 3),
        ("p", None, 3, 3),
        ("IPython.extensions.autoreload", None, 4, 1),
        ("watermark", None, 4, 2),
        ("q", None, 5, 2),
    ]
    assert [(r.name, c.cell, c.line) for c in found.installs for r in c.requested] == [("o", 3, 2)]


def test_modules_the_notebook_writes_and_search_paths(tmp_path: Path) -> None:
    cells = [
        code("%%writefile helpers.py\ndef f(): pass", 1),
        code("%%file -a other.pyx\ncdef int x", 2),
        code("!f2py -c dprod.f -m dprod", 3),
        code("%%writefile data.csv\na,b", 4),
        code("import sys\nsys.path.append('../lib')\nsys.path.insert(0, 'src')", 5),
    ]
    found = collect(load(write(tmp_path / "nb.ipynb", notebook(*cells))))
    assert [m for m, _ in found.written_modules] == ["helpers", "other", "dprod"]
    assert found.search_dirs == (str(tmp_path.parent / "lib"), str(tmp_path / "src"))


def test_shell_cell_installs(tmp_path: Path) -> None:
    cells = [code("%%bash\nset -e\npip install a==1 b\nconda install -y c", 1)]
    found = collect(load(write(tmp_path / "nb.ipynb", notebook(*cells))))
    assert [(r.name, r.version, c.tool, c.line) for c in found.installs for r in c.requested] == [
        ("a", "1", "pip", 3),
        ("b", None, "pip", 3),
        ("c", None, "conda", 4),
    ]
