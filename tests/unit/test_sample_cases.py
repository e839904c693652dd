"""Single-file rule cases: each notebook in sample_notebooks/cases carries its expected findings.

`metadata.nb2prod_case.expect` lists `CODE@CELL`; the reported set must equal it exactly,
so look-alike cases (an empty list) prove a rule does not over-fire. No test code per case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nb2prod.lint.check import Checked, CheckRequest, check_file
from nb2prod.lint.rules import RULES

CASES = sorted((Path(__file__).parents[2] / "sample_notebooks" / "cases").glob("*.ipynb"))


def _expected(path: Path) -> set[str]:
    meta = json.loads(path.read_text("utf-8"))["metadata"]["nb2prod_case"]
    return set(meta["expect"])


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    result = check_file(str(path), CheckRequest(select=("NB",)))
    assert isinstance(result, Checked), result
    got = {f"{f.code}@{f.cell}" for f in result.findings}
    assert got == _expected(path), [f.message for f in result.findings]


def test_every_rule_has_a_firing_case_and_a_look_alike() -> None:
    names = [p.stem for p in CASES]
    for code in RULES:
        assert any(n.startswith(f"{code}_fires") for n in names), f"no firing case for {code}"
        assert any(n.startswith(f"{code}_clean") for n in names), f"no look-alike for {code}"
    for path in CASES:
        code = path.stem.split("_")[0]
        if "_fires" in path.stem:
            assert any(e.startswith(code + "@") for e in _expected(path)), (
                f"{path.name} expects no {code}"
            )
        if "_clean" in path.stem:
            assert not any(e.startswith(code + "@") for e in _expected(path)), (
                f"{path.name} expects {code}"
            )
