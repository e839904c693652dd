"""NB109 on small notebooks: each file in tests/cases/randomness is one notebook and its findings.

A case is the notebook's code cells, each starting at a `# %%` line, after a header of
comment lines. `# expect: CELL NAME, NAME` is one NB109 finding at cell CELL (0-based) listing
exactly those calls; `# expect: none` says the rule stays silent. Adding a case needs no code.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from nb2prod.analysis.randomness import DISPLAY_SINKS, PANDAS_SAMPLE_PARAMS, Sink, library_sink
from nb2prod.lint.check import analyze
from nb2prod.notebook.load import loads
from tests.helpers import code, notebook

CASES = sorted((Path(__file__).parents[1] / "cases" / "randomness").glob("*.py"))


def _parse_case(path: Path) -> tuple[set[tuple[int, tuple[str, ...]]], list[str]]:
    header, _, body = path.read_text("utf-8").partition("# %%\n")
    expected: set[tuple[int, tuple[str, ...]]] = set()
    silent = False
    for line in header.splitlines():
        if not line.startswith("# expect:"):
            continue
        value = line.removeprefix("# expect:").strip()
        if value == "none":
            silent = True
            continue
        cell, _, names = value.partition(" ")
        expected.add((int(cell), tuple(n.strip() for n in names.split(","))))
    assert silent != bool(expected), f"{path.name}: say `# expect: none` or list findings"
    cells = [c.strip("\n") for c in body.split("# %%\n")]
    return expected, cells


def _nb109(cells: list[str]) -> set[tuple[int, tuple[str, ...]]]:
    nb = notebook(*(code(source, n + 1) for n, source in enumerate(cells)))
    loaded = loads(json.dumps(nb).encode(), "case.ipynb")
    found = analyze(loaded, frozenset({"NB109"})).findings
    return {(f.cell, tuple(f.names)) for f in found}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_randomness_case(path: Path) -> None:
    expected, cells = _parse_case(path)
    assert _nb109(cells) == expected


def test_there_are_cases_both_ways() -> None:
    silent = [p for p in CASES if "# expect: none" in p.read_text("utf-8")]
    assert len(silent) >= 8 and len(CASES) - len(silent) >= 8


def test_the_finding_message_names_the_used_draws_only() -> None:
    cells = [
        "import numpy as np",
        "plt_like = np.random.rand(3)\nnp.save('a.npy', np.random.randn(3))",
    ]
    nb = notebook(*(code(source, n + 1) for n, source in enumerate(cells)))
    (finding,) = analyze(loads(json.dumps(nb).encode(), "m.ipynb"), frozenset({"NB109"})).findings
    assert finding.line == 2 and finding.names == ("np.random.randn",)
    assert "np.random.randn()" in finding.message and "np.random.rand()" not in finding.message


@pytest.mark.parametrize(
    ("qualified", "sink"),
    [
        ("matplotlib.pyplot.hist", Sink.PLOT),
        ("seaborn.histplot", Sink.PLOT),
        ("plotly.graph_objects.Scatter", Sink.PLOT),
        ("networkx.draw_networkx", Sink.PLOT),
        ("IPython.display.display", Sink.PRINT),
        ("pprint.pprint", Sink.PRINT),
        ("separation_plot.separation_plot", Sink.PLOT),
        ("sklearn.tree.plot_tree", Sink.PLOT),
        ("numpy.histogram", None),
        ("utils.plotScatter", Sink.PLOT),
        ("helpers.explode", None),
        ("matplotlibx.hist", None),
        ("sklearn.linear_model.LinearRegression", None),
    ],
)
def test_library_sinks(qualified: str, sink: Sink | None) -> None:
    assert library_sink(qualified) is sink


def test_sink_table_keys_have_one_of_three_forms() -> None:
    for key in DISPLAY_SINKS:
        bare = key.isidentifier() or key == "*plot"
        method = key.startswith(".") and key[1:].isidentifier()
        library = not key.startswith(".") and all(
            p.isidentifier() for p in key.rstrip(".").split(".")
        )
        assert bare or method or library, key


def test_pandas_sample_parameters_are_pandas_own() -> None:
    pd = pytest.importorskip("pandas")
    for owner in (pd.DataFrame, pd.Series):
        names = set(inspect.signature(owner.sample).parameters) - {"self"}
        assert names == PANDAS_SAMPLE_PARAMS
