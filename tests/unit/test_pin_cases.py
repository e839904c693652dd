"""Data-driven pin cases: each notebook in tests/data/pin/cases holds its expectation in its metadata.

`metadata.nb2prod_test` lists the exact pins (canonical name -> [version, source, confidence],
"$installed" meaning the version installed in the test environment), the excluded and
unresolved imports, and the findings as "CODE@cell:name,name". Keys left out are not checked,
except `pins` and `findings`, which must match exactly. Adding a case needs no test code.
Everything runs against the real test environment: no mocked metadata.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from nb2prod.notebook.load import load
from nb2prod.pin import PinResult, canonical, pin_notebook
from nb2prod.pin.environment import Environment, environment_for

CASES = sorted((Path(__file__).parents[1] / "data" / "pin" / "cases").rglob("*.ipynb"))


@pytest.fixture(scope="module")
def test_env() -> Environment:
    """The interpreter running the tests, queried like any other (the query is cached per process)."""
    return environment_for(None, sys.executable)


def _expectation(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))["metadata"]["nb2prod_test"]


def _finding_keys(result: PinResult) -> set[str]:
    return {f"{f.code}@{f.cell}:{','.join(canonical(n) for n in f.names)}" for f in result.findings}


@pytest.mark.parametrize(
    "path", CASES, ids=[p.stem if p.stem != "notebook" else p.parent.name for p in CASES]
)
def test_pin_case(path: Path, test_env: Environment) -> None:
    expect = _expectation(path)
    notebook = load(path)
    env = test_env
    if expect.get(
        "fallback"
    ):  # the notebook's kernel is not installed: the real resolution is the test
        result = pin_notebook(notebook)
        assert result.environment.fallback, result.environment.source
    else:
        result = pin_notebook(notebook, environment=env)

    pins = {canonical(p.distribution): p for p in result.pins}
    assert set(pins) == set(expect["pins"]), "pinned distributions"
    for name, (version, source, confidence) in expect["pins"].items():
        pin = pins[name]
        if version == "$installed":
            version = env.version_of(name)
            assert version is not None, (
                f"{name} must be installed in the test environment for this case"
            )
        assert pin.version == version, f"version of {name}: {pin.evidence}"
        assert (pin.chosen.kind.value if pin.chosen else None) == source, f"source of {name}"
        assert pin.confidence.value == confidence, f"confidence of {name}"
        assert pin.installed == env.version_of(name), f"installed version of {name}"
    for name, requirement in expect.get("requirements", {}).items():
        assert pins[name].requirement == requirement

    if "excluded" in expect:
        assert {e.module: e.reason for e in result.excluded} == expect["excluded"]
    if "unresolved" in expect:
        assert [u.module for u in result.unresolved] == expect["unresolved"]
    if "requires_python" in expect:
        assert result.python.requires == expect["requires_python"]
    expected_findings = {
        k.split(":")[0] + ":" + ",".join(canonical(n) for n in k.split(":")[1].split(","))
        for k in expect["findings"]
    }
    assert _finding_keys(result) == expected_findings

    cells = notebook.cells
    for f in result.findings:  # every finding names a real cell, by index and id
        assert cells[f.cell].id == f.cell_id
        assert f.line >= 1


def test_there_are_cases() -> None:
    assert len(CASES) >= 7
