"""requirements.txt, the [project] fragment and JSON, rendered from real pin results."""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import pytest

from nb2prod.notebook.load import load
from nb2prod.pin import PinResult, pin_notebook
from nb2prod.pin.environment import environment_for
from nb2prod.pin.render import json_text, pyproject_fragment, requirements_txt

CASES = Path(__file__).parents[1] / "data" / "pin" / "cases"
REQUIREMENT_LINE = re.compile(
    r"^(?P<req>[A-Za-z0-9][A-Za-z0-9_.\-]*(?:\[[\w,]+\])?(?:[<>=!~]=?[^\s#]+)?)\s+# (?P<why>.+)$"
)


@pytest.fixture(
    scope="module",
    params=[
        "conflicting_evidence",
        "install_commands",
        "local_and_missing/notebook",
        "listings",
        "clean",
    ],
)
def result(request: pytest.FixtureRequest) -> PinResult:
    env = environment_for(None, sys.executable)
    return pin_notebook(load(CASES / f"{request.param}.ipynb"), environment=env)


def test_requirements_lines_name_their_evidence(result: PinResult) -> None:
    text = requirements_txt(result)
    lines = text.splitlines()
    requirements = [line for line in lines if not line.startswith("#")]
    assert len(requirements) == len(result.pins)
    for line, pin in zip(requirements, result.pins, strict=False):
        match = REQUIREMENT_LINE.match(line)
        assert match, line
        assert match["req"] == pin.requirement
        if pin.version is not None:
            assert f"=={pin.version}" in match["req"]
        else:
            assert "NOT PINNED" in match["why"]
        if pin.chosen is not None and pin.chosen.cell is not None:
            assert f"cell {pin.chosen.cell}" in match["why"]
    for u in result.unresolved:
        assert any(line.startswith(f"# {u.module}: no known distribution") for line in lines)
    assert text.endswith("\n")


def test_pyproject_fragment_is_toml_with_the_same_requirements(result: PinResult) -> None:
    data = tomllib.loads(pyproject_fragment(result))
    assert data["project"]["dependencies"] == list(result.requirements)
    assert data["project"]["requires-python"] == result.python.requires


def test_json_has_every_pin_with_evidence_and_confidence(result: PinResult) -> None:
    doc = json.loads(json_text(result))
    assert doc["version"] == 1 and doc["notebook"] == result.path
    assert [p["requirement"] for p in doc["pins"]] == list(result.requirements)
    for pin in doc["pins"]:
        assert pin["confidence"] in ("high", "medium", "low")
        assert pin["evidence"] and all(e["kind"] for e in pin["evidence"])
    assert len(doc["findings"]) == len(result.findings)
    assert doc["environment"]["python"] == result.environment.python


def test_conflicting_evidence_comments() -> None:
    env = environment_for(None, sys.executable)
    text = requirements_txt(
        pin_notebook(load(CASES / "conflicting_evidence.ipynb"), environment=env)
    )
    line = next(line for line in text.splitlines() if line.startswith("requests=="))
    assert line.startswith("requests==2.1.0 ")
    assert "printed in cell 2 (requests.__version__ printed 2.1.0)" in line
    assert f"has {env.version_of('requests')} (NB202)" in line
    assert "# Python 3.10.4 (metadata.language_info.version)" in text


def test_local_modules_are_listed_as_not_pinned() -> None:
    env = environment_for(None, sys.executable)
    text = requirements_txt(
        pin_notebook(load(CASES / "local_and_missing" / "notebook.ipynb"), environment=env)
    )
    assert (
        "# Not pinned, modules beside the notebook: helper_local (helper_local.py), localpkg (localpkg), "
        "written_mod (written by cell 2)" in text
    )
