"""nb2prod-run.html: the fresh run rendered with nbconvert, the disagreeing cells marked.

No kernel here: the fresh run and the per-cell checks are built by hand (the end-to-end case is
tests/integration/test_run_page.py).
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

from nb2prod.notebook.model import Cell, Notebook
from nb2prod.verify.execute import CellRun, NotebookRun
from nb2prod.verify.report import run_marks, to_html, to_json, to_markdown, write_reports
from nb2prod.verify.run_page import RUN_PAGE, fresh_notebook, render_run_page
from nb2prod.verify.verification import CellCheck, Verification

ROOT = Path(__file__).resolve().parents[2]


def _stdout(text: str) -> dict[str, object]:
    return {"output_type": "stream", "name": "stdout", "text": [text]}


def _result(text: str, count: int) -> dict[str, object]:
    return {
        "output_type": "execute_result",
        "execution_count": count,
        "metadata": {},
        "data": {"text/plain": [text]},
    }


# The saved notebook: cells ran out of order (counts 7, 3, 9), one output is stale.
SAVED = Notebook(
    "analysis.ipynb",
    (
        Cell(0, "intro", "markdown", "# Hidden state\n\nThe *saved* outputs are stale."),
        Cell(1, "setup", "code", "x = 40", 7),
        Cell(2, "stale", "code", "print(x + 1)", 3, (_stdout("42\n"),)),
        Cell(3, "fine", "code", "x * 2", 9, (_result("80", 9),)),
        Cell(4, "empty", "code", "", None),
        Cell(5, "boom", "code", "1 / 0", 10, (_stdout("ok\n"),)),
        Cell(6, "after", "code", "print('never')", 11, (_stdout("never\n"),)),
    ),
    (4, 5),
    "python",
    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
)
ZERO = "ZeroDivisionError: division by zero"
RUN = NotebookRun(
    "analysis.ipynb",
    (
        CellRun(0, "intro", "ok", (), None, None),
        CellRun(1, "setup", "ok", (), None, 0.01),
        CellRun(2, "stale", "ok", (_stdout("41\n"),), None, 0.01),
        # the fresh run numbers results after its own injected cells: 14 here
        CellRun(3, "fine", "ok", (_result("80", 14),), None, 0.01),
        CellRun(4, "empty", "ok", (), None, None),
        CellRun(5, "boom", "error", ({"output_type": "error", "ename": "ZeroDivisionError",
                                      "evalue": "division by zero",
                                      "traceback": ["Traceback", ZERO]},), ZERO, 0.01),
        CellRun(6, "after", "not-run", (), None, None),
    ),
    1.0,
    "python3",
    (),
)  # fmt: skip
CHECKS = (
    CellCheck(1, "setup", "same"),
    CellCheck(2, "stale", "differs", ("stdout: '42' became '41'",)),
    CellCheck(3, "fine", "same"),
    CellCheck(4, "empty", "no-stored-output"),
    CellCheck(5, "boom", "fails-fresh", (ZERO,)),
    CellCheck(6, "after", "not-run"),
)


def _verification(fresh: Notebook | None) -> Verification:
    return Verification(
        notebook="/somewhere/analysis.ipynb",
        package_dir="",
        verdict="unverified",
        cells=CHECKS,
        functions=(),
        findings=(),
        imported_modules=(),
        notebook_seconds=1.0,
        package_seconds=0.0,
        wall_seconds=1.0,
        fresh_notebook=fresh,
    )


def _cell_html(page: str, cell_id: str) -> str:
    """The page's HTML of one cell, with its mark when it has one."""
    starts = sorted(
        m.start() for m in re.finditer(r'<div class="(?:nb2prod-marked|jp-Cell )', page)
    )
    chunks = [page[a:b] for a, b in zip(starts, [*starts[1:], len(page)], strict=True)]
    at = next(i for i, c in enumerate(chunks) if f'id="cell-id={cell_id}"' in c.split(">")[0])
    marked = at > 0 and chunks[at - 1].startswith('<div class="nb2prod-marked')
    return (chunks[at - 1] if marked else "") + chunks[at]


def test_fresh_notebook_has_the_fresh_outputs_numbered_in_run_order() -> None:
    fresh = fresh_notebook(SAVED, RUN)
    assert [c.source for c in fresh.cells] == [c.source for c in SAVED.cells]
    assert [c.execution_count for c in fresh.cells] == [None, 1, 2, 3, None, 4, None]
    assert fresh.cells[2].outputs == (_stdout("41\n"),)
    assert fresh.cells[3].outputs[0]["execution_count"] == 3
    assert fresh.cells[6].outputs == ()  # after the stop: nothing, not the stale stored output


def test_page_marks_the_differing_and_stopped_cells_with_their_reasons() -> None:
    marks = run_marks(CHECKS)
    assert [(m.cell, m.kind, m.code) for m in marks] == [
        (2, "differs", "NB301"),
        (5, "stopped", "NB302"),
        (6, "not-run", ""),
    ]
    page = render_run_page(
        fresh_notebook(SAVED, RUN), marks, title="analysis.ipynb", report_link="nb2prod-report.html"
    )
    stale = _cell_html(page, "stale")
    assert 'class="nb2prod-marked nb2prod-differs"' in stale
    assert "NB301: stored output differs from a fresh run" in stale
    assert "stdout: '42' became '41'" in html.unescape(stale)
    assert "41" in stale and "42\n" not in stale  # the fresh output is shown
    boom = _cell_html(page, "boom")
    assert "nb2prod-stopped" in boom and "NB302" in boom and ZERO in boom
    assert "the fresh run stopped at cell 5" in _cell_html(page, "after")
    for unmarked in ("setup", "fine", "empty"):
        assert "nb2prod-marked" not in _cell_html(page, unmarked), unmarked
    # the header lists the marked cells, linking to them, and links the report
    header = page[page.index('<header class="nb2prod-run"') : page.index("</header>")]
    assert 'data-nb2prod-marked="2"' in header
    assert 'href="#cell-id=stale"' in header and 'href="#cell-id=boom"' in header
    assert 'href="nb2prod-report.html"' in header
    assert "<em>saved</em>" in page  # markdown rendered


def test_page_needs_no_script_and_fetches_nothing() -> None:
    page = render_run_page(
        fresh_notebook(SAVED, RUN), run_marks(CHECKS), title="t", report_link="r.html"
    )
    assert "<script" not in page
    assert not re.findall(r"(?:src|href)=[\"']?(?:https?:)?//", page)
    assert "@import" not in page


def test_same_input_gives_the_same_page() -> None:
    fresh = fresh_notebook(SAVED, RUN)
    marks = run_marks(CHECKS)
    first = render_run_page(fresh, marks, title="t", report_link="r.html")
    assert render_run_page(fresh, marks, title="t", report_link="r.html") == first


def test_reports_link_the_page_and_write_it(tmp_path: Path) -> None:
    v = _verification(fresh_notebook(SAVED, RUN))
    assert f"[{RUN_PAGE}]({RUN_PAGE})" in to_markdown(v)
    assert f"href='{RUN_PAGE}'" in to_html(v)
    assert to_json(v)["run_page"] == RUN_PAGE
    write_reports(v, tmp_path)
    page = (tmp_path / RUN_PAGE).read_text("utf-8")
    assert "<title>analysis.ipynb</title>" in page and "nb2prod-differs" in page
    assert RUN_PAGE in (tmp_path / "nb2prod-report.md").read_text("utf-8")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # atomic writes


def test_without_a_fresh_run_there_is_no_page_nor_link(tmp_path: Path) -> None:
    (tmp_path / RUN_PAGE).write_text("an earlier run's page")
    v = _verification(None)
    write_reports(v, tmp_path)
    assert not (tmp_path / RUN_PAGE).exists()
    assert RUN_PAGE not in to_markdown(v) and RUN_PAGE not in to_html(v)
    assert to_json(v)["run_page"] is None


def test_check_does_not_import_nbconvert(tmp_path: Path) -> None:
    notebook = ROOT / "sample_notebooks" / "cases" / "NB101_fires_rerun_above.ipynb"
    program = (
        "import sys\n"
        "from nb2prod.cli import main\n"
        f"main(['check', {str(notebook)!r}, '--exit-zero'])\n"
        "assert 'nbconvert' not in sys.modules, 'nb2prod check imported nbconvert'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
