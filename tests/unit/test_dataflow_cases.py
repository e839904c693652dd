"""Data-driven data-flow cases: each file in tests/cases/dataflow holds a cell and its expected symbols.

The header lists, per field, the exact expected values; a field left out must be empty, except
the detail fields (`OPTIONAL`), checked only where a case names them. Adding a case needs no test
code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.analysis.dataflow import analyze_cell
from nb2prod.analysis.records import CellSymbols, Import, Mutation, Rerun

CASES = sorted((Path(__file__).parents[1] / "cases" / "dataflow").glob("*.py"))
# Detail fields: `reruns` (name:yes|no|unknown per self-update, by the idempotence table),
# `bindings` (name:kind), `columns` (name.column:change), `displays` (name:how), `unbound`
# (names the cell leaves deleted).
OPTIONAL = frozenset({"imports", "modules", "reruns", "bindings", "columns", "displays", "unbound"})
VERDICTS = {True: "yes", False: "no", None: "unknown"}


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


def _details(symbols: CellSymbols) -> dict[str, set[str]]:
    def verdict(name: str, rerun: Rerun) -> str:
        return f"{name}:{VERDICTS[rerun.idempotent]}"

    reruns = {verdict(r.name, r.rerun) for r in symbols.self_rebinds}
    reruns |= {verdict(m.name, m.rerun) for m in symbols.mutations if m.rerun is not None}
    return {
        "reruns": reruns,
        "bindings": {f"{b.name}:{b.kind}" for b in symbols.bindings},
        "columns": {f"{c.name}.{c.column}:{c.change}" for c in symbols.column_changes},
        "displays": {f"{d.name}:{d.how}" for d in symbols.displays},
        "unbound": set(symbols.unbound),
    }


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
        "guarded": {r.name for r in symbols.guarded_uses},
        "deletes": {r.name for r in symbols.deletes},
        "deleted_uses": {r.name for r in symbols.deleted_uses},
        "mutations": {mutation(m) for m in symbols.mutations},
        "self_rebinds": {r.name for r in symbols.self_rebinds},
        "hidden": {r.name for r in symbols.hidden_origins},
        "magics": {f"{m.kind}:{m.name}" for m in symbols.magics},
        "parse_error": {str(symbols.parse_error.line)} if symbols.parse_error else set(),
    }


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_dataflow_case(path: Path) -> None:
    expected, source = _parse_case(path)
    # `modules: np=numpy, pd=pandas`: what cells above imported
    modules = dict(m.split("=", 1) for m in expected.get("modules", set()))
    symbols = analyze_cell(source, modules)
    actual = _actual(symbols)
    unknown = set(expected) - set(actual) - OPTIONAL
    assert not unknown, f"unknown header keys {unknown} in {path.name}"
    for key, value in actual.items():
        assert value == expected.get(key, set()), f"{key} of {path.name}"
    for key, value in _details(symbols).items():
        if key in expected:
            assert value == expected[key], f"{key} of {path.name}"
    if "imports" in expected:
        assert {_imported(i) for i in symbols.imports} == expected["imports"]


def test_there_are_cases() -> None:
    assert len(CASES) >= 15
