"""Values read back from a figure, and statements that only feed one, are display (issue #13).

Each file in tests/cases/roles_display is one notebook: a header of comment lines, then code
cells each starting at a `# %%` line. A statement whose line ends in `# expect: ...` must come
out that way: `kept` or `out` (left out of the package), optionally its role (`features`,
`data`, ...), and `changes NAME,NAME` for the figures a display statement draws on. Adding a
case needs no code.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest

from nb2prod.analysis.statements import split_cells
from nb2prod.convert.plan import make_plan
from nb2prod.convert.roles import classify, figure_apis
from nb2prod.core.vocabulary import Role
from nb2prod.notebook.load import load
from tests.helpers import code, notebook, write

CASES = sorted((Path(__file__).parents[1] / "cases" / "roles_display").glob("*.py"))
_ROLES = {r.value for r in Role}

Expectation = tuple[bool | None, str | None, frozenset[str] | None]


def _parse(path: Path) -> tuple[list[str], dict[tuple[int, int], Expectation]]:
    """The cells, and the expectation at (cell, 1-based line) of each marked line."""
    _, _, body = path.read_text("utf-8").partition("# %%\n")
    cells = [c.strip("\n") for c in body.split("# %%\n")]
    expected: dict[tuple[int, int], Expectation] = {}
    for index, source in enumerate(cells):
        for number, line in enumerate(source.splitlines(), start=1):
            _, marker, value = line.partition("# expect:")
            if not marker:
                continue
            kept: bool | None = None
            role: str | None = None
            changes: frozenset[str] | None = None
            tokens = value.split()
            for at, token in enumerate(tokens):
                if token in ("kept", "out"):
                    kept = token == "kept"
                elif token in _ROLES:
                    role = token
                elif token == "changes":
                    changes = frozenset(tokens[at + 1].split(","))
                elif at == 0 or tokens[at - 1] != "changes":
                    raise AssertionError(f"{path.name}: unknown expectation {token!r} in {line!r}")
            expected[(index, number)] = (kept, role, changes)
    return cells, expected


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_roles_display_case(path: Path, tmp_path: Path) -> None:
    cells, expected = _parse(path)
    assert expected, f"{path.name} has no `# expect:` line"
    nb = load(
        str(
            write(tmp_path / "case.ipynb", notebook(*(code(s, n + 1) for n, s in enumerate(cells))))
        )
    )
    plan = make_plan(nb)
    statements, _ = split_cells(nb)
    decisions = classify(nb, statements)
    changed = {st.key: d.figures_changed for st, d in zip(statements, decisions, strict=True)}
    checked: set[tuple[int, int]] = set()
    for placed in plan.statements:
        st = placed.statement
        for (cell, line), (kept, role, changes) in expected.items():
            if cell != st.cell or not st.line <= line <= max(st.end_line, st.line):
                continue
            checked.add((cell, line))
            where = f"{path.name} cell {cell} line {line}: {st.code.strip()!r} ({placed.reason})"
            if kept is not None:
                assert placed.kept is kept, where
            if role is not None:
                assert placed.role.value == role, where
            if changes is not None:
                assert changed[st.key] == changes, where
    assert checked == set(expected), f"no statement at {sorted(set(expected) - checked)}"


def test_cases_cover_both_ways() -> None:
    marks = "".join(p.read_text("utf-8") for p in CASES)
    assert marks.count("# expect: out") >= 20 and marks.count("# expect: kept") >= 15


def test_display_reasons_name_the_figure(tmp_path: Path) -> None:
    source = (
        "import matplotlib.pyplot as plt\nax = plt.gca()\nlo, hi = ax.get_xlim()\nwidth = hi - lo"
    )
    nb = load(str(write(tmp_path / "reason.ipynb", notebook(code(source, 1)))))
    reasons = [p.reason for p in make_plan(nb).statements]
    assert reasons[2].startswith("display: reads or changes 'ax'"), reasons
    assert reasons[3].startswith("display: reads or changes 'hi'"), reasons


def test_the_table_holds_no_data_loader() -> None:
    apis = figure_apis()
    for loader in ("seaborn.load_dataset", "matplotlib.pyplot.imread", "pandas.read_csv"):
        assert loader not in apis.factories
    assert not {"map", "apply", "get", "get_text", "show", "legend"} & apis.figure_methods


def test_factories_exist_in_the_libraries() -> None:
    """Every factory of an installed library is a real attribute of it (catches typos);
    seaborn's renamed old names are allowed to be missing from its new versions."""
    old_seaborn = {"factorplot", "tsplot", "lvplot", "distplot"}
    missing = []
    for qualified in sorted(figure_apis().factories):
        module_name, _, name = qualified.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if not hasattr(module, name) and name not in old_seaborn:
            missing.append(qualified)
    assert not missing


def test_figure_methods_exist_on_figure_objects() -> None:
    """Every figure method is a method of a matplotlib or seaborn figure object, or plotly's."""
    pytest.importorskip("matplotlib").use("Agg")
    pytest.importorskip("seaborn")
    objects = [
        getattr(importlib.import_module(module), name)
        for module, name in (
            ("matplotlib.figure", "Figure"),
            ("matplotlib.axes", "Axes"),
            ("mpl_toolkits.mplot3d", "Axes3D"),
            ("matplotlib.axis", "Axis"),
            ("matplotlib.lines", "Line2D"),
            ("matplotlib.collections", "PathCollection"),
            ("seaborn", "FacetGrid"),
            ("seaborn", "PairGrid"),
            ("seaborn", "JointGrid"),
        )
    ]
    # plotly is not installed here: its figure methods by name
    plotly_methods = {
        f"{verb}_{what}"
        for verb, whats in (
            ("update", ("layout", "traces", "xaxes", "yaxes")),
            ("add", ("trace", "traces", "annotation", "shape", "vline", "hline", "vrect", "hrect")),
        )
        for what in whats
    }
    missing = [
        name
        for name in sorted(figure_apis().figure_methods - plotly_methods)
        if not any(hasattr(o, name) for o in objects)
    ]
    assert not missing


def test_case_files_parse() -> None:
    for path in CASES:
        ast.parse(path.read_text("utf-8"), filename=str(path))
        assert json.dumps(_parse(path)[0])
