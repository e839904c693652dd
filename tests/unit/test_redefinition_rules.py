"""NB105 and NB108: what counts as a change of a name, and stored outputs as evidence.

Each notebook is a list of cells (source, execution count, stored output); each test checks the
cells the rule reports, so a rule that stays silent for the wrong reason fails the paired test
that must fire.
"""

from __future__ import annotations

from typing import Any

import pytest

from nb2prod.analysis.symbols import Analysis
from nb2prod.lint.check import analyze
from nb2prod.notebook.model import Cell, Notebook

Spec = tuple[str, int | None] | tuple[str, int | None, str]


def _output(text: str) -> dict[str, Any]:
    if text.startswith("<table"):
        return {"output_type": "execute_result", "data": {"text/html": text}, "metadata": {}}
    return {"output_type": "stream", "name": "stdout", "text": text}


def _notebook(*cells: Spec) -> Notebook:
    made = []
    for index, spec in enumerate(cells):
        source, count = spec[0], spec[1]
        outputs = (_output(spec[2]),) if len(spec) > 2 else ()
        made.append(Cell(index, f"c{index}", "code", source, count, outputs))
    return Notebook("test.ipynb", tuple(made), (4, 5), "python")


def _reported(code: str, *cells: Spec) -> list[int]:
    return [f.cell for f in analyze(_notebook(*cells), frozenset({code})).findings]


def _analysis(*cells: Spec) -> Analysis:
    return analyze(_notebook(*cells), frozenset())


def _table(*rows: dict[str, str]) -> str:
    header = "".join(f"<th>{c}</th>" for c in rows[0])
    body = "".join(
        "<tr><th>{}</th>{}</tr>".format(i, "".join(f"<td>{v}</td>" for v in row.values()))
        for i, row in enumerate(rows)
    )
    return (
        f'<table border="1"><thead><tr><th></th>{header}</tr></thead><tbody>{body}</tbody></table>'
    )


# -- NB105: a change upstream after the output


def test_nb105_a_reimport_is_no_change() -> None:
    assert _reported("NB105", ("import numpy as np", 3), ("np.exp(1)", 2, "2.718")) == []


def test_nb105_an_identical_definition_run_again_is_no_change() -> None:
    cells: list[Spec] = [
        ("def f(x):\n    return x", 1),
        ("def f(x):\n    return x", 4),
        ("f(1)", 2, "1"),
    ]
    assert _reported("NB105", *cells) == []
    cells[1] = ("def f(x):\n    return x + 1", 4)
    assert _reported("NB105", *cells) == [2]


def test_nb105_a_nearer_different_definition_is_not_passed_over() -> None:
    cells: list[Spec] = [("rate = 0.2", 1), ("rate = 0.2", 5), ("print(rate)", 2, "0.2")]
    assert _reported("NB105", *cells) == []  # cell 1 ran what cell 0 had run
    cells.append(("rate = 0.3", 4))  # ran between the two: cell 1 changed rate back
    assert _reported("NB105", *cells) == [2]


def test_nb105_an_identical_assignment_whose_input_changed_is_a_change() -> None:
    cells: list[Spec] = [
        ("base = 1", 1),
        ("x = base * 2", 2),
        ("x = base * 2", 5),
        ("print(x)", 3, "2"),
    ]
    assert _reported("NB105", *cells) == []
    cells.append(("base = 5", 4))  # between the two runs of `x = base * 2`
    assert _reported("NB105", *cells) == [3]


def test_nb105_a_stored_count_of_zero_is_unknown() -> None:
    assert _reported("NB105", ("rate = 0.25", 0), ("rate", 2, "0.2")) == []
    assert _reported("NB105", ("rate = 0.25", 3), ("rate", 2, "0.2")) == [1]


# -- NB108: a use of a change from below


def test_nb108_a_reimport_below_is_no_change() -> None:
    cells: list[Spec] = [("import numpy as np", 1), ("np.exp(1)", 3), ("import numpy as np", 2)]
    assert _reported("NB108", *cells) == []
    cells[2] = ("import jax.numpy as np", 2)
    assert _reported("NB108", *cells) == [1]


def test_nb108_an_identical_definition_below_is_no_change() -> None:
    cells: list[Spec] = [
        ("def f():\n    return 1", 1),
        ("f()", 3),
        ("def f():\n    return 1", 2),
    ]
    assert _reported("NB108", *cells) == []
    cells[2] = ("def f():\n    return 2", 2)
    assert _reported("NB108", *cells) == [1]


def test_nb108_module_functions_change_nothing() -> None:
    cells: list[Spec] = [
        ("import numpy as np\na = [3, 1]", 1),
        ("print(np.exp(1))", 3),
        ("np.sort(a)\nnp.fill_diagonal(a, 0)", 2),
    ]
    assert _reported("NB108", *cells) == []
    assert _reported("NB106", *cells) == []
    cells[2] = ("a.sort()", 2)  # a method of the notebook's own list
    assert _reported("NB108", ("import numpy as np\na = [3, 1]", 1), ("a", 3), cells[2]) == [1]


def test_nb108_needs_a_definition_above() -> None:
    # nothing above defines `x`: a use before definition, NB103's finding
    assert _reported("NB108", ("print(x)", 2), ("x = 1", 1)) == []


@pytest.mark.parametrize(("shown", "reported"), [("0.5\n", []), ("0.8\n", [1])])
def test_nb108_a_printed_literal_shows_which_definition_ran(
    shown: str, reported: list[int]
) -> None:
    cells: list[Spec] = [
        ("threshold = 0.5", 1),
        ("print(threshold)", 3, shown),
        ("threshold = 0.8", 2),
    ]
    assert _reported("NB108", *cells) == reported


@pytest.mark.parametrize(("columns", "reported"), [(("a", "c"), []), (("a",), [1])])
def test_nb108_a_shown_column_the_change_dropped(
    columns: tuple[str, ...], reported: list[int]
) -> None:
    cells: list[Spec] = [
        ("import pandas as pd\ndf = pd.read_csv('data.csv')", 1),
        ("df.head()", 3, _table(dict.fromkeys(columns, "1"))),
        ("df.drop('c', axis=1, inplace=True)", 2),
    ]
    assert _reported("NB108", *cells) == reported


@pytest.mark.parametrize(("price", "reported"), [("$2.39", []), ("2.39", [1])])
def test_nb108_text_in_a_column_the_change_made_numeric(price: str, reported: list[int]) -> None:
    cells: list[Spec] = [
        ("import pandas as pd\nchipo = pd.read_csv('chipo.tsv', sep='\\t')", 1),
        ("chipo.head(10)", 3, _table({"item": "Izze", "item_price": price})),
        ("chipo.item_price = [float(value[1:-1]) for value in chipo.item_price]", 2),
    ]
    assert _reported("NB108", *cells) == reported


# -- the tables the rules read


def test_module_names_are_names_only_imports_bind() -> None:
    analysis = _analysis(
        ("import numpy as np\nimport pandas as pd\nfrom math import sqrt", 1),
        ("pd = pd.DataFrame()", 2),
    )
    assert analysis.module_names == {"np", "sqrt"}


def test_deleted_by_is_the_del_a_top_to_bottom_run_meets_last() -> None:
    analysis = _analysis(
        ("x = 1", 1),
        ("del x", 2),
        ("print(x)", 3),
        ("x = 2", 4),
        ("print(x)", 5),
        ("if x:\n    del x", 6),  # may not run
        ("print(x)", 7),
    )
    assert [analysis.deleted_by("x", i) for i in (2, 3, 4, 5, 6, 7)] == [
        1,
        1,
        None,
        None,
        None,
        None,
    ]
