"""nb2prod-run.html after real runs: convert + verify of a notebook with hidden state writes the
fresh run beside the reports, the cells that disagree with the saved notebook marked."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from nb2prod.cli import main
from nb2prod.convert.plan import make_plan
from nb2prod.notebook.load import load
from nb2prod.verify.report import write_reports
from nb2prod.verify.run_page import RUN_PAGE
from nb2prod.verify.verification import verify
from tests.helpers import code, md, notebook, write

pytestmark = pytest.mark.slow


def _printed(text: str) -> dict[str, object]:
    return {"output_type": "stream", "name": "stdout", "text": [text]}


def _marks(page: str) -> dict[int, str]:
    """Cell index -> rule code of every marked cell of the page."""
    return {
        int(cell): code
        for cell, code in re.findall(r'data-nb2prod-cell="(\d+)" data-nb2prod-code="(\w*)"', page)
    }


def test_convert_writes_the_fresh_run_with_the_hidden_state_cell_marked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "hidden.ipynb",
        notebook(
            md("## Prices"),
            code("base = 40", 1, outputs=[]),
            # saved when base was 41: a fresh run prints 41
            code("price = base + 1\nprint(price)", 2, outputs=[_printed("42\n")]),
            code("total = price * 2\nprint(total)", 3, outputs=[_printed("82\n")]),
        ),
    )
    status = main(["convert", str(path), "--out", str(tmp_path / "pkg"), "--no-second-run"])
    out = capsys.readouterr().out
    assert status in (0, 1, 4), out
    package = tmp_path / "pkg"
    page = (package / RUN_PAGE).read_text("utf-8")
    # cell 2 disagrees with its saved output; cell 3's saved output matches the fresh run
    assert _marks(page) == {2: "NB301"}
    text = html.unescape(page)
    assert "stored output differs from a fresh run" in text
    assert "42" in text  # the reason quotes the saved output
    assert "<pre>41\n</pre>" in page and "<pre>82\n</pre>" in page  # the fresh outputs
    assert "<script" not in page
    # the verification reports link it
    assert f"]({RUN_PAGE})" in (package / "nb2prod-report.md").read_text("utf-8")
    assert f"href='{RUN_PAGE}'" in (package / "nb2prod-report.html").read_text("utf-8")
    report = json.loads((package / "nb2prod-report.json").read_text("utf-8"))
    assert report["verification"]["run_page"] == RUN_PAGE


def test_the_cell_where_the_fresh_run_stopped_is_marked(tmp_path: Path) -> None:
    path = write(
        tmp_path / "stops.ipynb",
        notebook(
            code("x = 40", 1, outputs=[]),
            code("print(x + 1)", 2, outputs=[_printed("41\n")]),
            code("y = undefined_name + 1", 3, outputs=[]),  # ran once, its cell since deleted
            code("print(y)", 4, outputs=[_printed("7\n")]),
        ),
    )
    result = verify(str(path), make_plan(load(str(path))), None, second_run=False)
    (tmp_path / "out").mkdir()
    write_reports(result, tmp_path / "out")
    page = (tmp_path / "out" / RUN_PAGE).read_text("utf-8")
    assert _marks(page) == {2: "NB302", 3: ""}
    text = html.unescape(page)
    assert "the fresh run stopped here" in text and "NameError" in text
    assert "not run: the fresh run stopped at cell 2" in text
