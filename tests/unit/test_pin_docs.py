"""docs/rules/NB201-NB204.md: every page has its sections, and its example prints what the page says."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from nb2prod.cli import main
from nb2prod.pin.environment import environment_for
from nb2prod.pin.rules import PIN_RULES
from tests.helpers import code, notebook, write

DOCS = Path(__file__).parents[2] / "docs"
CODES = list(PIN_RULES)
SECTIONS = [
    "## What it detects",
    "## Why it matters in production",
    "## Example",
    "## How to fix",
    "## Suppressing",
]
SHOWN_PYTHON = "/srv/venv/bin/python"  # the interpreter path the pages show
# Modules an example needs absent (or present) in the test environment for its output to hold.
NEEDS_ABSENT = {"NB201": "acme_forecasting", "NB203": "lightgbm", "NB204": "cv2"}


def _normalise(line: str) -> str:
    return re.sub(r"has \d[\w.+!]*", "has X", line)


def _blocks(text: str, fence: str) -> list[str]:
    return re.findall(rf"^```{fence}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("code_", CODES)
def test_page_has_every_section(code_: str) -> None:
    text = (DOCS / "rules" / f"{code_}.md").read_text("utf-8")
    assert text.startswith(f"# {code_} — ")
    positions = [text.find(s) for s in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), (
        "sections missing or out of order"
    )
    assert f"nb2prod: ignore[{code_}]" in text and f"nb2prod:ignore[{code_}]" in text
    assert f"**Severity:** {PIN_RULES[code_].severity.value}" in text


@pytest.mark.parametrize("code_", CODES)
def test_page_example_prints_what_the_page_says(
    code_: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = environment_for(None, sys.executable)
    absent = NEEDS_ABSENT.get(code_)
    if absent and env.importable(absent):
        pytest.skip(f"{absent} is installed in the test environment; the example assumes it is not")
    if code_ == "NB202" and env.version_of("numpy") in (None, "1.21.0"):
        pytest.skip("the NB202 example needs a numpy other than 1.21.0 installed")
    text = (DOCS / "rules" / f"{code_}.md").read_text("utf-8")
    (cells_json,) = _blocks(text, "pin-notebook")
    cells = []
    for cell in json.loads(cells_json):
        outputs = (
            [
                {
                    "output_type": "execute_result",
                    "execution_count": cell["count"],
                    "metadata": {},
                    "data": {"text/plain": cell["result"]},
                }
            ]
            if "result" in cell
            else []
        )
        cells.append(code(cell["code"], cell["count"], outputs))
    write(tmp_path / "analysis.ipynb", notebook(*cells))
    monkeypatch.chdir(tmp_path)
    main(["pin", "analysis.ipynb", "--python", sys.executable, "--exit-zero"])
    err = capsys.readouterr().err.replace(sys.executable, SHOWN_PYTHON)
    printed = {_normalise(line) for line in err.splitlines()}
    shown = {
        _normalise(line)
        for block in _blocks(text, "text")
        for line in block.splitlines()
        if line.startswith("analysis.ipynb:")
    }
    assert printed == shown
    assert any(f": {code_} " in line for line in printed)


def test_pin_page_lists_every_rule() -> None:
    text = (DOCS / "pin.md").read_text("utf-8")
    for code_, rule in PIN_RULES.items():
        assert f"| [{code_}](rules/{code_}.md) | {rule.title} | {rule.severity.value} |" in text
