"""`verify` decides check's findings with its own fresh run, as `check --confirm` does.

Real kernels: the findings are those `nb2prod check` reports for each notebook, and the run
that decides them is verify's (the hooks of docs/confirm.md ride on it). Refuted findings
are dropped from every report form; the verdict of equivalence does not depend on them.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from nb2prod import api
from nb2prod.cli import main
from nb2prod.convert.build import build
from nb2prod.convert.write import write_package
from nb2prod.core.findings import Finding
from nb2prod.lint.check import Checked, check_file
from nb2prod.verify.verification import Verification, verify
from tests.helpers import code, notebook, write

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="the second run of NB106 forks"),
]


def printed(text: str) -> list[dict[str, Any]]:
    return [{"output_type": "stream", "name": "stdout", "text": [text]}]


# NB106 three times: a notebook function the analysis cannot see into, idempotent (refuted),
# one that is not (confirmed), and `+=` (confirmed).
REBINDS = (
    code(
        "name = ' Ab '\ncount = 0\nitems = []\n\n\ndef tidy(v):\n    return v.strip().lower()"
        "\n\n\ndef grow(v):\n    return v + [1]",
        1,
        outputs=[],
    ),
    code("name = tidy(name)", 2, outputs=[]),
    code("items = grow(items)", 3, outputs=[]),
    code("count += 1", 4, outputs=[]),
    code("print(name, count, len(items))", 5, outputs=printed("ab 1 1\n")),
)
# the verdict the fresh run must give each NB106 finding, by cell
REBIND_VERDICTS = {1: False, 2: True, 3: True}


def _static(path: Path) -> list[Finding]:
    checked = check_file(str(path))
    assert isinstance(checked, Checked), checked
    return list(checked.findings)


def _verification(result: api.VerifyResult) -> Verification:
    assert isinstance(result, api.Verified | api.NotConverted), result
    return result.verification


def _decided(v: Verification) -> dict[tuple[str, int], bool | None]:
    assert v.confirmation is not None
    return {(f.code, f.cell): f.confirmed for f in v.confirmation.findings}


def test_a_real_nb106_is_confirmed_and_kept_an_idempotent_one_refuted_and_dropped(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "rebinds.ipynb", notebook(*REBINDS))
    flagged = {f.cell for f in _static(path) if f.code == "NB106"}
    assert flagged == set(REBIND_VERDICTS), "check no longer flags these cells: pick others"
    v = _verification(api.verify(str(path)))
    assert v.confirmation is not None
    assert {cell: confirmed for (rule, cell), confirmed in _decided(v).items()} == REBIND_VERDICTS
    kept = {(f.code, f.cell): f.confirmed for f in v.findings if f.code == "NB106"}
    assert kept == {("NB106", 2): True, ("NB106", 3): True}  # the refuted one is dropped
    assert [f.cell for f in v.confirmation.refuted] == [1]
    why = {f.cell: v.confirmation.why(f) or "" for f in v.confirmation.findings}
    assert "equal after one run and after two" in why[1]
    assert "1 vs 2" in why[3]  # count after one run vs after two
    assert v.confirmation.runs >= 1 and v.confirmation.stopped_at is None


def test_nb104_is_confirmed_by_the_fresh_runs_name_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ghost.ipynb",
        notebook(
            code("x = 1", 1, outputs=[]),
            code("print(x + ghost)", 2, outputs=printed("6\n")),  # ran, with a ghost now gone
            code("y = x * 2", 3, outputs=[]),
        ),
    )
    assert ("NB104", 1) in {(f.code, f.cell) for f in _static(path)}
    v = _verification(api.verify(str(path)))
    assert v.confirmation is not None
    assert _decided(v)[("NB104", 1)] is True
    nb104 = next(f for f in v.findings if f.code == "NB104")
    assert nb104.confirmed is True
    assert "NameError for 'ghost' here" in (v.confirmation.why(nb104) or "")
    assert v.confirmation.stopped_at == 1
    assert ("NB302", 1) in {(f.code, f.cell) for f in v.findings}  # verify's own, beside it


def test_nb109_is_decided_by_verifys_unseeded_rerun(tmp_path: Path) -> None:
    # NB109 is opt-in: the project's configuration selects it, as check reads it
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nextend-select = ["NB109"]\n')
    path = write(
        tmp_path / "draws.ipynb",
        notebook(
            code("import random", 1, outputs=[]),
            code("r = random.random()", 2, outputs=[]),  # unseeded: differs between runs
            code("scores = [r * 10]", 3, outputs=[]),
            code("with open('scores.txt', 'w') as fh:\n    fh.write(str(scores))", 4, outputs=[]),
        ),
    )
    assert ("NB109", 1) in {(f.code, f.cell) for f in _static(path)}
    v = _verification(api.verify(str(path)))
    # verify's fresh run is seeded, its re-run is not: the value after the cell differs
    assert _decided(v)[("NB109", 1)] is True
    assert v.confirmation is not None and v.confirmation.runs == 2
    nb109 = next(f for f in v.findings if f.code == "NB109")
    assert "'r' right after the cell differs between two fresh runs" in (
        v.confirmation.why(nb109) or ""
    )


def test_every_report_form_shows_what_the_run_decided(tmp_path: Path) -> None:
    path = write(tmp_path / "rebinds.ipynb", notebook(*REBINDS))
    out = io.StringIO()
    with redirect_stdout(out):
        main(["convert", str(path), "--out", str(tmp_path / "pkg"), "--no-pin"])
    text = out.getvalue()
    assert "[confirmed by the fresh run: 'count' after one run vs after two: 1 vs 2]" in text
    assert "1 refuted and dropped (cell 1 NB106)" in text
    assert not any(":cell 1:" in line for line in text.splitlines())  # the refuted finding
    package = tmp_path / "pkg"
    report = json.loads((package / "nb2prod-report.json").read_text())["verification"]
    kept = {(f["code"], f["cell"]): f["confirmed"] for f in report["findings"]}
    assert kept[("NB106", 2)] is True and kept[("NB106", 3)] is True
    assert ("NB106", 1) not in kept
    assert all("confirmed" in f for f in report["findings"])
    decided = report["confirmation"]
    assert (decided["confirmed"], decided["refuted"], decided["undecided"]) == (2, 1, 0)
    every = {f["cell"]: (f["confirmed"], f["evidence"]) for f in decided["findings"]}
    assert every[1][0] is False and "equal after one run and after two" in every[1][1]
    markdown = (package / "nb2prod-report.md").read_text()
    assert "the fresh run confirmed 2, refuted 1" in markdown
    assert "Refuted by the fresh run, so not reported:" in markdown
    html = (package / "nb2prod-report.html").read_text()
    assert "<tr class='confirmed'>" in html and "<tr class='refuted'>" in html
    page = (package / "nb2prod-run.html").read_text()
    assert page.count('class="nb2prod-reason nb2prod-confirmed"') == 2
    assert "non-idempotent cell, confirmed by this run" in page


def _verify_demo(folder: Path, confirm_findings: bool) -> Verification:
    notebook_path = folder / DEMO.name
    plan, package = build(str(notebook_path), pin=False)
    target = write_package(package, folder / "pkg", notebook=notebook_path)
    return verify(str(notebook_path), plan, target, confirm_findings=confirm_findings)


def test_the_equivalence_verdict_does_not_depend_on_confirmation(tmp_path: Path) -> None:
    runs = {}
    for confirming in (True, False):
        folder = tmp_path / str(confirming)
        folder.mkdir()
        shutil.copy(DEMO, folder / DEMO.name)
        runs[confirming] = _verify_demo(folder, confirming)
    with_hooks, without = runs[True], runs[False]
    assert with_hooks.confirmation is not None and without.confirmation is None
    # the demo's NB106 (cell 13) is real: the hooks ran inside the same fresh run
    assert _decided(with_hooks)[("NB106", 13)] is True
    assert with_hooks.verdict == without.verdict == "equivalent"

    def values(v: Verification) -> list[tuple[str, str, list[tuple[str, str]]]]:
        return [
            (f.function, f.verdict, [(c.name, c.verdict) for c in f.values]) for f in v.functions
        ]

    assert values(with_hooks) == values(without)
    assert with_hooks.imported_modules == without.imported_modules
    nb1 = [f for f in with_hooks.findings if f.code.startswith("NB1")]
    assert nb1 and not [f for f in without.findings if f.code.startswith("NB1")]
