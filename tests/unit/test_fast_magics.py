"""The fast path of IPython translation gives exactly what IPython's transformer gives.

`ipysyntax._simple_static` rewrites whole-line magics itself, without importing IPython
(~0.1 s) or re-tokenising the cell once per magic (~1 ms a cell). It must answer exactly as
`TransformerManager.transform_cell` does, or not at all (None: IPython decides). The oracle
runs on every code cell of ../shared/corpora and on the tricky cells below.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import pytest

from nb2prod.analysis.symbols import collect_symbols
from nb2prod.core.errors import InputError
from nb2prod.notebook import ipysyntax
from nb2prod.notebook.load import is_notebook_path, load
from tests.conftest import CORPORA

# (cell, whether the fast path must answer it): where it answers, it must agree with IPython.
CELLS = [
    ("%matplotlib inline\nimport numpy as np", True),
    ("!pip install -q pandas==2.0", True),
    ("!!ls -l", True),
    ("files = !ls *.csv\nprint(files)", True),
    ("a, b = %time f(x)", True),
    ("for i in range(3):\n    %time f(i)\n    !echo {i}", True),
    ("%%time\nx = 1\n\n  \ny = 2", True),  # a cell magic, whitespace-only lines normalised
    ("%%capture out --no-stderr\nprint(1)", True),
    ("  %time f()\n  g()", True),  # the common indent IPython removes
    ("\n\n%time f()", True),  # leading blank lines IPython drops
    ("np.sort?", True),
    ("np.sort??", True),
    ("np.*sort*?", True),
    ("%timeit?", True),
    ("plt.plot(x)\n;", True),  # `;` alone: autocall quoting nothing
    ("%time df = pd.read_csv('a.csv', \\\n     usecols=['a'])\ndf", True),  # runs on with `\`
    ('print("total: %d"\n      % total)', True),  # `%` starting a line inside brackets
    ('print("x=%d" % x)', True),  # `=%` inside a string
    ("x = 1  # is this right?", True),
    ("%%time\n>>> x = 1", False),  # a doctest prompt: IPython strips it
    ("In [1]: %time f()", False),
    ('s = """\n%time f()\n"""', False),  # inside a string: IPython leaves it
    ("f(1,\n%time g()\n)", False),  # inside brackets
    ("%time f(x)?", False),  # help takes precedence over the magic
    ("x = 1 + \\\n%time", False),
    ("%time f(\n  x)", False),  # the magic's brackets run on
    ("!echo a\r\n!echo b", False),  # a carriage return
    ("print 'py2'\n%time f()", True),  # does not parse: IPython's tokens decide
    ("print 'py2'\nx = %who_ls", True),
    ("print 'py2'\nx = %time f(\n  1)", False),  # IPython's `MagicAssign`, running on
    ("print 'py2'\nnp.sort?", True),
    ("x = 1\n%%time\ny = 2", True),  # `%%` below the first line is a line magic `%time`
    ("!= 3", True),  # not an escape: IPython leaves it
    ("%= 3", True),
    ("print 'py2'\nif x:\n    pass\n  y", False),  # an unindent IPython fails on
    ("self.files = !ls", False),  # an attribute target: IPython decides
]


@lru_cache(maxsize=1)
def _ipython() -> Any:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _ipythons(source: str) -> str | None:
    try:
        return str(_ipython().transform_cell(source))
    except Exception:  # what `_static` falls back to: the source as it is
        return None


def _agrees(source: str) -> tuple[bool, bool]:
    """Whether the fast path answered, and whether the answer is IPython's (and its tree the
    tree of its code)."""
    fast = ipysyntax._simple_static(source)
    if fast is None:
        return False, True
    code, tree = fast
    if tree is not None:
        with warnings.catch_warnings():  # `"\d"` in someone's cell
            warnings.simplefilter("ignore")
            if ast.dump(tree) != ast.dump(ast.parse(code)):
                return True, False
    return True, code == _ipythons(source)


@pytest.mark.parametrize(("cell", "answered"), CELLS)
def test_fast_path_agrees_with_ipython(cell: str, answered: bool) -> None:
    assert _agrees(cell) == (answered, True)


def _code_cells() -> Iterator[tuple[str, str]]:
    for folder in ("wild", "offline", "parsing"):
        for path in sorted((CORPORA / folder).rglob("*")):
            if ".ipynb_checkpoints" in path.parts or not is_notebook_path(path):
                continue
            try:
                notebook = load(path, require_python=False)
            except InputError:
                continue
            for cell in notebook.cells:
                if cell.is_code:
                    yield str(path.relative_to(CORPORA)), cell.source


EDGES = ["", "%", "?", "a?", "a ?  \n", "  %x", "x\n\t!y", "a = %b", "a =!= b", "x\n,y", " ;", "/f"]


def test_quick_filters_match_their_expressions() -> None:
    sources = EDGES + [source for _, source in _code_cells()]
    for source in sources:
        expected = ipysyntax._MAYBE_IPYTHON.search(source) is not None
        assert ipysyntax._maybe_ipython(source) == expected, source
        expected = ipysyntax._MAYBE_AUTOCALL.search(source) is not None
        assert ipysyntax._maybe_autocall(source) == expected, source


def test_fast_path_agrees_with_ipython_on_every_corpus_cell() -> None:
    if not CORPORA.is_dir():
        pytest.skip(f"corpora {CORPORA} are absent (clone with ../shared beside the repository)")
    needs, answered, wrong = 0, 0, []
    for where, source in _code_cells():
        if ipysyntax._static(source) == (source, None):
            continue  # no IPython syntax: neither path runs
        needs += 1
        fast, right = _agrees(source)
        answered += fast
        if not right:
            wrong.append(f"{where}: {source[:80]!r}")
    assert not wrong, "\n".join(wrong[:20])
    # the point of the fast path: IPython is needed for few cells
    assert needs > 500 and answered / needs > 0.9, (answered, needs)


def test_few_wild_notebooks_need_ipythons_transformer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each notebook that needs it costs the pre-commit hook ~0.1 s of importing IPython."""
    if not (CORPORA / "wild").is_dir():
        pytest.skip("corpus wild is absent")
    asked: list[str] = []

    class Spy:
        def transform_cell(self, source: str) -> str:
            asked.append(source)
            return source

    monkeypatch.setattr(ipysyntax, "_transformer", Spy)
    needing = []
    for path in sorted((CORPORA / "wild").rglob("*.ipynb")):
        before = len(asked)
        collect_symbols(load(path))
        if len(asked) > before:
            needing.append(path.name)
    # none of 423 in 2026-12
    assert len(needing) <= 2, needing
