"""verify's confirmation of check's findings, without a kernel: the hooks' plan for a re-run of
the notebook's first cells, verdicts from runs that did not reach a cell, and every report form
(CLI text, JSON, Markdown, HTML, run page) built from a hand-made verification.

The end-to-end cases, with real kernels, are in tests/integration/test_verify_confirm.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from nb2prod import api
from nb2prod.cli.verify import outcome
from nb2prod.convert.plan import Plan
from nb2prod.core.findings import Finding
from nb2prod.core.rules import finding
from nb2prod.core.vocabulary import Verdict
from nb2prod.notebook.model import Cell, Notebook
from nb2prod.verify.confirm import Confirmation, Hooks, undecided
from nb2prod.verify.execute import CellRun, NotebookRun
from nb2prod.verify.report import run_marks, to_html, to_json, to_markdown
from nb2prod.verify.verification import CellCheck, Verification

NOTEBOOK = Notebook(
    "draws.ipynb",
    (
        Cell(0, "c0", "code", "import random\nx = 0", 1),
        Cell(1, "c1", "code", "r = random.random()", 2),
        Cell(2, "c2", "code", "x += 1", 3),
        Cell(3, "c3", "code", "s = random.random()", 4),
        Cell(4, "c4", "code", "print(x)", 5, ({"output_type": "stream", "name": "stdout", "text": ["2\n"]},)),
    ),
    (4, 5),
    "python",
)  # fmt: skip
NB109_EARLY = finding("NB109", 1, "c1", "unseeded randomness: random.random()", names=("r",))
NB106 = finding("NB106", 2, "c2", "non-idempotent cell: '+='", names=("x",))
NB109_LATE = finding("NB109", 3, "c3", "unseeded randomness: random.random()", names=("s",))
NB105 = finding("NB105", 4, "c4", "stale output", names=("x",))
NB111 = finding("NB111", 0, "c0", "absolute path")


def _run(statuses: tuple[str, ...], outputs: dict[int, str] | None = None) -> NotebookRun:
    printed = outputs or {}
    cells = tuple(
        CellRun(
            i,
            f"c{i}",
            status,
            tuple(
                {"output_type": "stream", "name": "stdout", "text": [printed[i]]}
                for _ in (0,)
                if i in printed
            ),
            None,
            0.01 if status == "ok" else None,
        )
        for i, status in enumerate(statuses)
    )
    return NotebookRun("draws.ipynb", cells, 1.0, "python3", ())


def test_a_rerun_of_the_first_cells_plans_only_the_cells_it_reaches(tmp_path: Path) -> None:
    hooks = Hooks.of(NOTEBOOK, (NB109_EARLY, NB106, NB109_LATE, NB111), tmp_path)
    assert hooks is not None
    assert [f.code for f in hooks.findings] == ["NB109", "NB106", "NB109"]  # NB111: undecidable
    inject, env = hooks.second(3, cell_timeout=60)
    plan = json.loads((Path(env["NB2PROD_CONFIRM_DIR"]) / "plan.json").read_text())
    assert plan["keep"] == {"1": ["r"]}  # cell 3 is not in the re-run
    assert plan["twice"] == {}  # the second run never runs a cell twice
    assert all(position <= 3 for position, _ in inject)
    # a run of the first cells only does not end where the first run ended: nothing compared there
    assert "__nb2prod_confirm_end__()" not in [source for _, source in inject]
    whole, _ = hooks.second(None, cell_timeout=60)
    assert (len(NOTEBOOK.cells), "__nb2prod_confirm_end__()") in whole
    first, first_env = hooks.first(cell_timeout=60)
    assert first_env["NB2PROD_CONFIRM_DIR"] != env["NB2PROD_CONFIRM_DIR"]
    assert any("__nb2prod_confirm_twice__(2)" in source for _, source in first)


def test_nothing_decidable_means_no_hooks(tmp_path: Path) -> None:
    assert Hooks.of(NOTEBOOK, (NB111,), tmp_path) is None
    assert not list(tmp_path.iterdir())


def test_a_rerun_that_stopped_short_leaves_later_findings_undecided(tmp_path: Path) -> None:
    hooks = Hooks.of(NOTEBOOK, (NB109_LATE, NB105), tmp_path)
    assert hooks is not None
    hooks.first(60)
    hooks.second(2, 60)
    first = _run(("ok",) * 5, {4: "1\n"})  # cell 4's stored output was "2"
    second = _run(("ok", "ok"))  # verify's re-run of the first two cells only
    assert hooks.second_run_cells(first) == [3]
    decided = hooks.decide((NB109_LATE, NB105, NB111), first, second)
    assert [f.confirmed for f in decided.findings] == [None, None, None]
    assert "did not include the cell" in decided.evidence[0]
    assert "no second fresh run" in decided.evidence[1]
    assert decided.runs == 2 and decided.path == "draws.ipynb"


# --- the reports, from a hand-made verification ------------------------------------------------

CONFIRMED = replace(NB106, confirmed=True)
REFUTED = replace(NB109_EARLY, confirmed=False)
UNDECIDED = replace(NB111, confirmed=None)
NB301 = finding("NB301", 4, "c4", "stored output differs from a fresh run: '2' became '1'")
CONFIRMATION = Confirmation(
    "draws.ipynb",
    (UNDECIDED, REFUTED, CONFIRMED),
    (
        "running the notebook does not decide NB111",
        "'r' equal after one run and after two",
        "'x' after one run vs after two: 1 vs 2",
    ),
    1,
    0.01,
)


def _verification(confirmation: Confirmation | None) -> Verification:
    kept = [f for f in (confirmation.findings if confirmation else ()) if f.confirmed is not False]
    return Verification(
        notebook="draws.ipynb",
        package_dir="",
        verdict=Verdict.UNVERIFIED,
        cells=(CellCheck(4, "c4", "differs", ("'2' became '1'",)),),
        functions=(),
        findings=tuple(sorted([NB301, *kept], key=lambda f: f.sort_key)),
        imported_modules=(),
        notebook_seconds=1.0,
        package_seconds=0.0,
        wall_seconds=1.0,
        confirmation=confirmation,
    )


def test_json_carries_confirmed_and_the_evidence_and_leaves_refuted_out_of_findings() -> None:
    data = to_json(_verification(CONFIRMATION))
    by_code = {f["code"]: f for f in data["findings"]}
    assert set(by_code) == {"NB111", "NB106", "NB301"}  # NB109 was refuted
    assert by_code["NB106"]["confirmed"] is True
    assert by_code["NB106"]["evidence"] == "'x' after one run vs after two: 1 vs 2"
    assert by_code["NB111"]["confirmed"] is None
    assert by_code["NB301"]["confirmed"] is None and "evidence" not in by_code["NB301"]
    decided = data["confirmation"]
    assert (decided["confirmed"], decided["refuted"], decided["undecided"]) == (1, 1, 1)
    assert [(f["code"], f["confirmed"]) for f in decided["findings"]] == [
        ("NB111", None),
        ("NB109", False),
        ("NB106", True),
    ]
    json.dumps(data)  # the report file is JSON
    assert to_json(_verification(None))["confirmation"] is None


def test_markdown_and_html_say_what_the_run_decided() -> None:
    v = _verification(CONFIRMATION)
    markdown = to_markdown(v)
    assert (
        "- cell 2: NB106 non-idempotent cell: '+=' (confirmed by the fresh run: 'x' after one "
        "run vs after two: 1 vs 2)" in markdown
    )
    assert "the fresh run confirmed 1, refuted 1 (left out) and left 1 undecided" in markdown
    refuted_part = markdown[markdown.index("Refuted by the fresh run") :]
    assert "cell 1: NB109" in refuted_part and "equal after one run and after two" in refuted_part
    page = to_html(v)
    assert "<tr class='confirmed'><td>2</td><td>NB106</td>" in page
    assert "<tr class='refuted'><td>1</td><td>NB109</td>" in page
    assert "<tr class=''><td>4</td><td>NB301</td>" in page
    assert "<h2>Findings</h2>" not in to_html(replace(v, findings=(), confirmation=None))


def test_the_run_page_marks_confirmed_findings_only() -> None:
    v = _verification(CONFIRMATION)
    marks = run_marks(v.cells, v.confirmation)
    assert [(m.cell, m.kind, m.code) for m in marks] == [
        (2, "confirmed", "NB106"),
        (4, "differs", "NB301"),
    ]
    assert marks[0].details[1] == "'x' after one run vs after two: 1 vs 2"
    assert run_marks(v.cells) == marks[1:]


def test_cli_text_marks_each_finding_and_counts_the_dropped() -> None:
    plan = Plan("draws.ipynb", "draws", (), (), (), (), (), (), ())
    result = api.Verified("draws.ipynb", None, plan, _verification(CONFIRMATION))
    _, text = outcome(result)
    lines = text.splitlines()
    assert (
        "draws.ipynb:cell 2:line 1: NB106 non-idempotent cell: '+=' [confirmed by the fresh "
        "run: 'x' after one run vs after two: 1 vs 2]" in lines
    )
    assert any(
        line.startswith("draws.ipynb:cell 0:line 1: NB111") and "[undecided" in line
        for line in lines
    )
    assert not any("NB109" in line and line.startswith("draws.ipynb") for line in lines)
    assert (
        "  check's findings, decided by the fresh run: 1 confirmed, 1 refuted and dropped "
        "(cell 1 NB109), 1 undecided" in lines
    )


def test_undecided_confirmation_runs_nothing() -> None:
    nothing: tuple[Finding, ...] = (NB111,)
    c = undecided("draws.ipynb", nothing)
    assert c.runs == 0 and c.findings == nothing
    assert c.why(NB111) == "running the notebook does not decide NB111"
    assert c.why(NB106) is None
