"""The rule pages in docs/rules: every rule has one, and every example on them is real.

Each example on a page is a small notebook written twice:

- a `text` block for readers, in the layout described in docs/rules/index.md
  (`[1] cell 0:  import pandas as pd`), and
- a `notebook` block right after it holding the same cells as a JSON list, one object
  per cell: `{"md": "# Title"}` for a markdown cell, `{"code": "x = 1", "count": 2}` for
  a code cell (`"count"` may be missing or null: never executed), plus `"out": "text"`
  for a stdout stream output or `"result": "text"` for an `execute_result` output.

The first `text` block after the `notebook` block is what `nb2prod check analysis.ipynb`
prints for it. These tests build the notebook, run the check in-process and compare.
Under `## Example` the output must contain at least one finding of the page's rule;
under `## Look-alike that is not reported` it must contain none.

Every rule of the registry (`nb2prod.core.rules.RULES`, NB1xx-NB4xx) has a page with the
required sections and its registry severity, listed once in the index with that severity.
The environment rules of `nb2prod pin` (NB2xx) have their examples checked in test_pin_docs.py.
The execution and conversion rules of `nb2prod verify` (NB3xx/NB4xx) need real kernel runs,
so their pages show the output of `nb2prod verify` instead of machine-checked notebooks; for
them these tests check the page's title and that its example shows a finding of its own code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nb2prod.cli import main
from nb2prod.core.rules import RULES, RuleGroup, rules_in

ROOT = Path(__file__).resolve().parents[2]
RULE_DOCS = ROOT / "docs" / "rules"
INDEX = RULE_DOCS / "index.md"
REQUIRED_HEADINGS = (
    "## What it detects",
    "## Why it matters in production",
    "## Example",
    "## How to fix",
)
EXAMPLE = "Example"
LOOK_ALIKE = "Look-alike that is not reported"
DOC_NAME = "analysis.ipynb"  # the file name the pages show in output lines
STATIC = list(rules_in(RuleGroup.STATIC))  # checked by running `nb2prod check` on the examples
VERIFY = list(rules_in(RuleGroup.EXECUTION)) + list(rules_in(RuleGroup.CONVERSION))

_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_CELL_KEYS = frozenset({"md", "code", "count", "out", "result"})


# -- reading the pages


def sections(text: str) -> dict[str, str]:
    """The page split at its `## ` headings: heading text -> body."""
    parts = re.split(r"^## +(.+?)[ \t]*$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def fences(text: str) -> list[tuple[str, str]]:
    """Fenced blocks in order, as (info string, body)."""
    return [(m.group("info").strip(), m.group("body")) for m in _FENCE.finditer(text)]


@dataclass(frozen=True)
class DocExample:
    code: str  # the page's rule
    section: str  # EXAMPLE or LOOK_ALIKE
    number: int  # 1-based among the section's notebooks
    display: str | None  # the `text` block shown to readers before the notebook block
    cells: list[dict[str, Any]]
    expected: str | None  # the `text` block after it: the documented output

    @property
    def id(self) -> str:
        kind = "example" if self.section == EXAMPLE else "look-alike"
        return f"{self.code}-{kind}-{self.number}"


def page_examples(code: str, text: str) -> list[DocExample]:
    found = []
    parts = sections(text)
    for section in (EXAMPLE, LOOK_ALIKE):
        blocks = fences(parts.get(section, ""))
        number = 0
        for i, (info, body) in enumerate(blocks):
            if info != "notebook":
                continue
            number += 1
            before = blocks[i - 1] if i > 0 else None
            display = before[1] if before is not None and before[0] == "text" else None
            expected = next((b for inf, b in blocks[i + 1 :] if inf == "text"), None)
            found.append(DocExample(code, section, number, display, json.loads(body), expected))
    return found


def all_examples() -> list[DocExample]:
    examples = []
    for code in STATIC:
        page = RULE_DOCS / f"{code}.md"
        if page.is_file():
            examples.extend(page_examples(code, page.read_text("utf-8")))
    return examples


# -- building and showing the notebooks


def check_cells(cells: Any) -> None:
    assert isinstance(cells, list) and cells, "a notebook block must be a non-empty JSON list"
    for index, cell in enumerate(cells):
        assert isinstance(cell, dict), f"cell {index} is not an object"
        unknown = set(cell) - _CELL_KEYS
        assert not unknown, f"cell {index} has unknown keys {sorted(unknown)}"
        assert ("md" in cell) != ("code" in cell), f"cell {index} needs exactly one of 'md', 'code'"
        if "md" in cell:
            assert set(cell) == {"md"}, f"markdown cell {index} takes no count or outputs"


def render(cells: list[dict[str, Any]]) -> str:
    """The reader's layout of docs/rules/index.md: `[count] cell N:  source`."""
    lines: list[str] = []
    for index, cell in enumerate(cells):
        if "md" in cell:
            head = f"    cell {index}:  "
            body = "(markdown) " + cell["md"]
        else:
            count = cell.get("count")
            head = f"{'[ ]' if count is None else f'[{count}]'} cell {index}:  "
            body = cell["code"]
        indent = " " * len(head)
        for n, line in enumerate(body.split("\n")):
            lines.append(((head if n == 0 else indent) + line).rstrip())
        for key in ("out", "result"):
            if key in cell:
                label = "out:  ".rjust(len(head))
                for n, line in enumerate(cell[key].split("\n")):
                    lines.append(((label if n == 0 else indent) + line).rstrip())
    return "\n".join(lines) + "\n"


def to_ipynb(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """An nbformat 4.5 notebook with the given cells."""
    out_cells = []
    for index, cell in enumerate(cells):
        base = {"id": f"cell-{index}", "metadata": {}}
        if "md" in cell:
            out_cells.append({**base, "cell_type": "markdown", "source": cell["md"]})
            continue
        count = cell.get("count")
        outputs: list[dict[str, Any]] = []
        if "out" in cell:
            outputs.append({"output_type": "stream", "name": "stdout", "text": cell["out"] + "\n"})
        if "result" in cell:
            outputs.append(
                {
                    "output_type": "execute_result",
                    "execution_count": count,
                    "data": {"text/plain": cell["result"]},
                    "metadata": {},
                }
            )
        out_cells.append(
            {
                **base,
                "cell_type": "code",
                "source": cell["code"],
                "execution_count": count,
                "outputs": outputs,
            }
        )
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": out_cells,
    }


def run_check(
    cells: list[dict[str, Any]], folder: Path, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """`nb2prod check analysis.ipynb` on the cells, output lines with the path as the docs show it."""
    path = folder / DOC_NAME
    path.write_text(json.dumps(to_ipynb(cells), indent=1), encoding="utf-8")
    main(["check", "--select", "NB", str(path)])  # every rule, opt-in ones included
    out, err = capsys.readouterr()
    assert "error" not in err, err
    return out.replace(str(path), DOC_NAME).splitlines()


def finding_lines(lines: list[str], code: str) -> list[str]:
    return [line for line in lines if line.startswith(f"{DOC_NAME}:") and f": {code} " in line]


# -- (a) every rule has a complete page, listed in the index


def assert_complete_page(code: str, first_line: str, severity: str) -> None:
    """The rule's docs page exists, starts with `first_line`, has every required section and the severity."""
    page = ROOT / RULES[code].doc_path
    assert page.is_file(), f"{RULES[code].doc_path} is missing"
    text = page.read_text("utf-8")
    headings = {line.rstrip() for line in text.splitlines() if line.startswith("## ")}
    missing = [h for h in REQUIRED_HEADINGS if h not in headings]
    assert not missing, f"{page.name} lacks {missing}"
    assert text.startswith(first_line), f"{page.name} should start with '{first_line.strip()}'"
    assert f"**Severity:** {severity}" in text, f"{page.name} should say its severity is {severity}"


def index_cells(code: str) -> list[str]:
    """The cells of the one index.md row that lists `code`."""
    rows = [
        line
        for line in INDEX.read_text("utf-8").splitlines()
        if line.startswith(f"| [{code}]({code}.md) |")
    ]
    assert len(rows) == 1, f"index.md should list {code} once, as | [{code}]({code}.md) | ... |"
    return [c.strip() for c in rows[0].strip("|").split("|")]


@pytest.mark.parametrize("code", list(RULES))
def test_rule_has_a_page_with_the_required_sections(code: str) -> None:
    assert_complete_page(code, f"# {code} ", RULES[code].severity.value)


@pytest.mark.parametrize("code", list(RULES))
def test_rule_is_listed_in_the_index(code: str) -> None:
    assert index_cells(code)[-1] == RULES[code].severity.value, (
        f"index.md gives {code} the wrong severity"
    )


def test_no_page_for_an_unknown_rule() -> None:
    pages = {p.stem for p in RULE_DOCS.glob("NB*.md")}
    assert pages <= set(RULES), (
        f"pages for codes nb2prod does not have: {sorted(pages - set(RULES))}"
    )


# -- (a') the pages of `pin` and `verify` rules carry the registry's title


def page_title(code: str) -> str:
    """The title the pages and the index give a pin or verify rule: its title, capitalised."""
    title = RULES[code].title
    return title[:1].upper() + title[1:]


@pytest.mark.parametrize("code", [c for c in RULES if c not in STATIC])
def test_page_and_index_give_the_registry_title(code: str) -> None:
    page = (RULE_DOCS / f"{code}.md").read_text("utf-8")
    assert page.startswith(f"# {code} — {page_title(code)}\n"), f"{code}.md has the wrong title"
    assert index_cells(code)[1] == page_title(code), f"index.md gives {code} the wrong title"


@pytest.mark.parametrize("code", VERIFY)
def test_verify_page_example_shows_its_finding(code: str) -> None:
    example = sections((RULE_DOCS / f"{code}.md").read_text("utf-8")).get(EXAMPLE, "")
    shown = [
        line
        for _info, body in fences(example)
        for line in body.splitlines()
        if re.match(rf"{re.escape(DOC_NAME)}:cell \d+:line 1: {code} ", line)
    ]
    assert shown, (
        f"{code}.md shows no '{DOC_NAME}:cell N:line 1: {code} ...' line under ## {EXAMPLE}"
    )


# -- (b) the examples are real


@pytest.mark.parametrize("code", STATIC)
def test_page_has_an_example_and_a_look_alike(code: str) -> None:
    examples = page_examples(code, (RULE_DOCS / f"{code}.md").read_text("utf-8"))
    assert any(e.section == EXAMPLE for e in examples), (
        f"{code}.md has no notebook block under ## Example"
    )
    assert any(e.section == LOOK_ALIKE for e in examples), (
        f"{code}.md has no notebook block under ## {LOOK_ALIKE}"
    )


EXAMPLES = all_examples()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_display_matches_its_notebook(example: DocExample) -> None:
    check_cells(example.cells)
    assert example.display is not None, (
        "a notebook block must follow the text block showing its cells"
    )
    assert example.display == render(example.cells), (
        "the cells shown to readers differ from the notebook block; expected:\n"
        + render(example.cells)
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_output_is_real(
    example: DocExample, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_cells(example.cells)
    assert example.expected is not None, (
        "a text block with the output must follow the notebook block"
    )
    lines = run_check(example.cells, tmp_path, capsys)
    actual = "\n".join(lines)
    documented = [line.rstrip() for line in example.expected.splitlines() if line.strip()]
    for line in documented:
        assert line in lines, (
            f"documented line not in the output:\n  {line}\nactual output:\n{actual}"
        )
    own = finding_lines(lines, example.code)
    if example.section == EXAMPLE:
        assert own, f"the example produces no {example.code} finding:\n{actual}"
        undocumented = [line for line in own if line not in documented]
        assert not undocumented, f"{example.code} findings missing from the page: {undocumented}"
    else:
        assert not own, f"the look-alike is reported as {example.code}:\n{actual}"
        assert not finding_lines(documented, example.code), (
            f"the look-alike's documented output lists {example.code}"
        )


@pytest.mark.parametrize("code", sorted(STATIC))
def test_index_and_page_say_whether_the_rule_runs_by_default(code: str) -> None:
    on = RULES[code].default
    assert index_cells(code)[2] == ("on" if on else "opt-in"), f"index.md: {code} default"
    page = (RULE_DOCS / f"{code}.md").read_text("utf-8")
    assert ("**Off by default**" in page) is not on, f"{code}.md: default note"
