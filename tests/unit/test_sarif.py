"""SARIF 2.1.0 output validates against the official schema (shipped as test data)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from nb2prod.cli import main
from nb2prod.core.rules import RULES, RuleGroup, rules_in
from tests.helpers import code, notebook, write

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text("utf-8")
)


def _sarif(capsys: pytest.CaptureFixture[str], *paths: Path) -> dict:  # type: ignore[type-arg]
    main(["check", "--extend-select", "NB101", "--format", "sarif", *map(str, paths)])
    return json.loads(capsys.readouterr().out)


def test_sarif_validates_and_carries_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "m.ipynb",
        notebook(code("x = 1", 2), code("print(x, y)", 1), code("z = y + 1", 3)),
    )
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{")
    log = _sarif(capsys, path, bad)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "nb2prod"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rule_ids[:2] == ["NB101", "NB102"] and "NB112" in rule_ids
    results = {(r["ruleId"], r["properties"]["cell"]) for r in run["results"]}
    assert results == {("NB101", 0), ("NB104", 1)}
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert (
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path.as_posix()
        )
    # the other places of each cause: the cell the late run passed, the later use of 'y'
    related = {
        r["ruleId"]: [
            (
                loc["logicalLocations"][0]["name"],
                loc["properties"]["cellId"],
                loc["message"]["text"],
            )
            for loc in r["relatedLocations"]
        ]
        for r in run["results"]
    }
    assert related == {
        "NB101": [("cell 1", "c1", "below, count 1")],
        "NB104": [("cell 2", "c2", "also reads 'y'")],
    }
    assert all("confirmed" not in r["properties"] for r in run["results"])  # nothing ran
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "bad.ipynb" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


def test_schema_rejects_a_broken_log() -> None:
    """Guards the guard: the shipped schema really constrains logs."""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate({"version": "2.1.0", "runs": [{"results": []}]})


def test_sarif_rules_are_the_registry_rules_check_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "m.ipynb", notebook(code("x = 1", 1)))
    driver = _sarif(capsys, path)["runs"][0]["tool"]["driver"]
    static = rules_in(RuleGroup.STATIC)
    assert [r["id"] for r in driver["rules"]] == list(static)
    for entry in driver["rules"]:
        rule = RULES[entry["id"]]
        assert entry["shortDescription"]["text"] == rule.title
        assert entry["defaultConfiguration"]["level"] == rule.severity.value
        assert entry["properties"]["documentation"] == rule.doc_path
