"""One finding per cause (issue #12): NB101, NB103, NB104, NB107 and NB110 on small notebooks.

Each file in tests/cases/grouping is one notebook and the exact findings it gets:
`counts` (a code cell per count, null for never run) or `cells` (objects as on the rule pages:
`{"code": ..., "count": ..., "outputs": [...]}` or `{"md": ...}`), the rule `codes` compared, and `expect`: every
finding of those codes, with its cell, its related cells and, where given, names, line, column.
Adding a case needs no test code.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from nb2prod.core.findings import Finding, Related, Severity
from nb2prod.lint.check import Checked, CheckRequest, check_file
from nb2prod.lint.formats import render_github, render_sarif, render_text
from nb2prod.lint.rules.order import _in_order
from tests.helpers import code, md, notebook, write

CASES = sorted((Path(__file__).parents[1] / "cases" / "grouping").glob("*.json"))
EVERY_RULE = CheckRequest(select=("NB",))  # opt-in rules included


def _cells(case: dict[str, Any]) -> list[dict[str, Any]]:
    if "counts" in case:
        # every cell reads and changes `state`: their order matters (independent cells it would not)
        return [code(f"state = step(state, {i})", count) for i, count in enumerate(case["counts"])]
    return [
        md(c["md"]) if "md" in c else code(c["code"], c.get("count"), c.get("outputs"))
        for c in case["cells"]
    ]


def _shown(f: Finding, keys: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "code": f.code,
        "cell": f.cell,
        "related": [r.cell for r in f.related],
        "names": list(f.names),
        "line": f.line,
        "column": f.column,
    }
    return {k: v for k, v in found.items() if k in keys}


def _key(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_grouping_case(path: Path, tmp_path: Path) -> None:
    case = json.loads(path.read_text("utf-8"))
    nb_path = write(tmp_path / "case.ipynb", notebook(*_cells(case)))
    result = check_file(str(nb_path), EVERY_RULE)
    assert isinstance(result, Checked), result
    got = [f for f in result.findings if f.code in case["codes"]]
    expected = case["expect"]
    keys = {"code", "cell", "related"} | {k for e in expected for k in e}
    assert sorted(map(_key, (_shown(f, keys) for f in got))) == sorted(
        _key({"related": [], **e}) for e in expected
    ), [f.message for f in got]
    for f in got:
        assert all(r.cell != f.cell for r in f.related)  # a place is never its own related
        assert all(r.note for r in f.related)  # every related place says why it is there


def test_cases_cover_each_grouped_rule() -> None:
    covered = {e["code"] for p in CASES for e in json.loads(p.read_text("utf-8"))["expect"]}
    assert {"NB101", "NB103", "NB104", "NB107", "NB110"} <= covered


@pytest.mark.parametrize(
    ("counts", "kept"),
    [
        ([1, 2, 25, 3, 4], [1, 2, 3, 4]),
        ([1, 5, 3], [1, 3]),  # of two longest runs, the one keeping the smaller counts
        ([3, 4, 1, 2], [1, 2]),
        ([2, 2, 2], [2]),
        ([5, 4, 3, 2, 1], [1]),
        ([], []),
    ],
)
def test_longest_ordered_run(counts: list[int], kept: list[int]) -> None:
    keep = _in_order(counts)
    assert [c for c, k in zip(counts, keep, strict=True) if k] == kept


def test_nb101_message_names_the_late_count_and_the_cells_it_passed(tmp_path: Path) -> None:
    counts = [1, 2, 25, *range(3, 25)]
    path = write(
        tmp_path / "n.ipynb",
        notebook(*(code(f"state = step(state, {i})", c) for i, c in enumerate(counts))),
    )
    result = check_file(str(path), EVERY_RULE)
    assert isinstance(result, Checked)
    (nb101,) = [f for f in result.findings if f.code == "NB101"]
    assert "count 25" in nb101.message and "22 cells (counts 3-24) below" in nb101.message
    assert nb101.related[0].note == "below, count 3"


def test_names_are_still_named_in_the_message(tmp_path: Path) -> None:
    path = write(
        tmp_path / "n.ipynb",
        notebook(code("from helpers import *", 1), code("a = load(path)", 2), code("load(b)", 3)),
    )
    result = check_file(str(path), EVERY_RULE)
    assert isinstance(result, Checked)
    by_names = {f.names: f for f in result.findings if f.code == "NB110"}
    assert set(by_names) == {("load",), ("path",), ("b",)}
    assert "'load'" in by_names[("load",)].message
    assert by_names[("load",)].related[0].note == "also reads 'load'"


# -- the formats show related places


def _result(related: tuple[Related, ...], confirmed: bool | None = None) -> Checked:
    f = Finding(
        "NB104", Severity.ERROR, 2, "c2", 1, 6, ("clean",), "undefined name 'clean'", related
    )
    return Checked("nb.ipynb", (replace(f, confirmed=confirmed),))


def _places(*cells: int) -> tuple[Related, ...]:
    return tuple(Related(c, f"c{c}", 2, 1, "also reads 'clean'") for c in cells)


@pytest.mark.parametrize(
    ("cells", "suffix"),
    [
        ((), ""),
        ((5,), " (also cell 5)"),
        ((5, 9, 10, 11, 14), " (also cells 5, 9-11, 14)"),
        ((2, 3), " (also cell 3)"),  # the finding's own cell is not repeated
        (tuple(range(3, 40, 2)), " (also cells 3, 5, 7, 9, 11, 13, 15, 17 and 11 more)"),
    ],
)
def test_text_and_github_list_the_related_cells(cells: tuple[int, ...], suffix: str) -> None:
    result = _result(_places(*cells))
    text = render_text([result]).splitlines()[0]
    assert text == f"nb.ipynb:cell 2:line 1: NB104 undefined name 'clean'{suffix}"
    github = render_github([result]).splitlines()[0]
    assert github.endswith(f"cell 2, line 1: undefined name 'clean'{suffix}")


def test_sarif_related_locations_and_confirmed() -> None:
    log = json.loads(render_sarif([_result(_places(5, 9), confirmed=True)]))
    (result,) = log["runs"][0]["results"]
    assert result["properties"]["confirmed"] is True
    related = result["relatedLocations"]
    assert [r["id"] for r in related] == [0, 1]
    assert [r["logicalLocations"][0]["name"] for r in related] == ["cell 5", "cell 9"]
    assert related[1]["logicalLocations"][0]["fullyQualifiedName"] == "nb.ipynb#cell=9:line=2"
    assert related[0]["message"]["text"] == "also reads 'clean'"
    assert related[0]["properties"] == {"cell": 5, "cellId": "c5", "line": 2, "column": 1}
    plain = json.loads(render_sarif([_result(())]))["runs"][0]["results"][0]
    assert "relatedLocations" not in plain and "confirmed" not in plain["properties"]
