"""Names read from inside strings: each file in tests/cases/embedded holds code and the names it reads.

The header lists `names:` (in the order the strings spell them, empty for none) and `kind:` (the
kind of string that reads them). Every call in the code is asked; imports in the code resolve
aliases, as the data flow passes the imports it has seen. Adding a case needs no test code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nb2prod.analysis.dataflow import analyze_cell
from nb2prod.analysis.embedded import EmbeddedName, names_in_call

CASES = sorted((Path(__file__).parents[1] / "cases" / "embedded").glob("*.py"))


def _parse_case(path: Path) -> tuple[dict[str, list[str]], str]:
    header, _, source = path.read_text("utf-8").partition("# ---\n")
    expected: dict[str, list[str]] = {}
    for line in header.splitlines():
        key, _, values = line.lstrip("# ").partition(":")
        expected[key.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    return expected, source


def _found(source: str) -> list[EmbeddedName]:
    imports = analyze_cell(source).imports
    calls = sorted(
        (n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    return [found for call in calls for found in names_in_call(call, imports)]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_embedded_case(path: Path) -> None:
    expected, source = _parse_case(path)
    assert set(expected) <= {"names", "kind"}, f"unknown header keys in {path.name}"
    found = _found(source)
    assert [f.name for f in found] == expected["names"]
    assert sorted({f.kind for f in found}) == expected.get("kind", [])


def test_there_are_cases_of_each_kind_and_negative_ones() -> None:
    kinds = [_parse_case(p)[0] for p in CASES]
    assert {k["kind"][0] for k in kinds if k.get("kind")} == {"formula", "query", "expression"}
    assert sum(not k["names"] for k in kinds) >= 10


def test_position_is_the_string_literal() -> None:
    source = 'import statsmodels.formula.api as smf\n\nm = smf.glm(\n    "y ~ double_it(x)", data=df\n)\n'
    (found,) = _found(source)
    assert (found.name, found.line, found.column) == ("double_it", 4, 5)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "~",
        "y ~ ~ ~",
        "\x00",
        "y ~ f(" * 400 + "x" + ")" * 400,
        "(" * 1000,
        "y ~ 'unterminated",
        '"""',
        "y ~ f(x)\\",
        "@",
        "@ @ 1",
        "`",
        "y ~ $x + f(x)",
        "\ty ~ f(x)\n  + g(x)",
        "y ~ x[1:3] + f(x)",
        "a = ",
        "def f(): pass",
    ],
)
@pytest.mark.parametrize(
    "call", ["smf.ols({!r}, df)", "patsy.dmatrix({!r})", "df.query({!r})", "ne.evaluate({!r})"]
)
def test_odd_strings_never_raise(call: str, text: str) -> None:
    node = ast.parse(call.format(text), mode="eval").body
    assert isinstance(node, ast.Call)
    found = names_in_call(node)
    assert all(f.name.isidentifier() for f in found)
