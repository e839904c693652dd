"""Data-driven data-flow cases: each file in tests/cases/dataflow holds a cell and its expected symbols.

The header lists, per field, the exact expected values; a field left out must be empty.
Adding a case needs no test code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.analysis.dataflow import analyze_cell
from nb2prod.analysis.records import CellSymbols, Import, Mutation

CASES = sorted((Path(__file__).parents[1] / "cases" / "dataflow").glob("*.py"))


def _parse_case(path: Path) -> tuple[dict[str, set[str]], str]:
    header, _, source = path.read_text("utf-8").partition("# ---\n")
    expected: dict[str, set[str]] = {}
    for line in header.splitlines():
        key, _, values = line.lstrip("# ").partition(":")
        expected[key.strip()] = {v.strip() for v in values.split(",") if v.strip()}
    return expected, source


def _imported(i: Import) -> str:
    full = f"{i.module}.{i.name}" if i.name else i.module
    return f"{full} as {i.bound_as}"


def _actual(symbols: CellSymbols) -> dict[str, set[str]]:
    def mutation(m: Mutation) -> str:
        text = f"{m.name}:{m.how}"
        if m.reads_target:
            text += ":reads"
        if not m.external:
            text += ":bound"
        return text

    return {
        "defines": {r.name for r in symbols.defines},
        "uses": {r.name for r in symbols.uses},
        "deferred": {r.name for r in symbols.deferred_uses},
        "deletes": {r.name for r in symbols.deletes},
        "mutations": {mutation(m) for m in symbols.mutations},
        "self_rebinds": {r.name for r in symbols.self_rebinds},
        "hidden": {r.name for r in symbols.hidden_origins},
        "magics": {f"{m.kind}:{m.name}" for m in symbols.magics},
        "parse_error": {str(symbols.parse_error.line)} if symbols.parse_error else set(),
    }


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_dataflow_case(path: Path) -> None:
    expected, source = _parse_case(path)
    symbols = analyze_cell(source)
    actual = _actual(symbols)
    unknown = set(expected) - set(actual) - {"imports"}
    assert not unknown, f"unknown header keys {unknown} in {path.name}"
    for key, value in actual.items():
        assert value == expected.get(key, set()), f"{key} of {path.name}"
    if "imports" in expected:
        assert {_imported(i) for i in symbols.imports} == expected["imports"]


def test_there_are_cases() -> None:
    assert len(CASES) >= 15
