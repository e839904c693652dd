"""`check --confirm` against a real kernel: every verdict comes from running the notebook.

Each case is a small notebook and the findings to decide, given by hand (`finding(...)`), so
that what is tested is the run's verdict, not whether a static rule fires; the last tests go
through `api.check` and the command line with the rules' own findings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nb2prod import api
from nb2prod.cli import main
from nb2prod.core.findings import Finding
from nb2prod.core.rules import finding
from nb2prod.verify.confirm import Confirmation, confirm
from tests.faults.harness import tree_digest
from tests.helpers import code, notebook, write

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the second run of NB106 forks")


def out(text: str) -> list[dict[str, Any]]:
    return [{"output_type": "stream", "name": "stdout", "text": [text]}]


@dataclass(frozen=True)
class Case:
    """A notebook (cell sources, with stored stdout where given) and its findings' verdicts."""

    cells: tuple[str | tuple[str, str], ...]  # source, or (source, stored stdout)
    expected: tuple[
        tuple[str, int, tuple[str, ...], bool | None], ...
    ]  # code, cell, names, verdict
    timeout: float = 60


FRAME = "import pandas as pd\ndf = pd.DataFrame({'a': [1.0, None, 3.0]}, index=[2, 0, 1])"
FOREST = (
    "import numpy as np\nfrom sklearn.ensemble import RandomForestClassifier\n"
    "X = np.arange(40.0).reshape(20, 2) % 7\ny = np.arange(20) % 2"
)

CASES = {
    # NB106: the cell's names after one run and after two
    "counter rebound from itself": Case(("x = 0", "x += 1"), (("NB106", 1, ("x",), True),)),
    "list appended to": Case(("items = []", "items.append(1)"), (("NB106", 1, ("items",), True),)),
    "fillna is idempotent": Case((FRAME, "df = df.fillna(0)"), (("NB106", 1, ("df",), False),)),
    "in-place sort is idempotent": Case(
        (FRAME, "df.sort_index(inplace=True)"), (("NB106", 1, ("df",), False),)
    ),
    "second in-place drop raises": Case(
        (FRAME, "df.drop(columns=['a'], inplace=True)"), (("NB106", 1, ("df",), True),)
    ),
    # the global generators are put back before the second run: refitting is not non-idempotence
    "unseeded refit draws the same numbers": Case(
        (FOREST, "model = RandomForestClassifier(n_estimators=3)", "model.fit(X, y)"),
        (("NB106", 2, ("model",), False),),
    ),
    # the notebook goes on from the state one run left: the later print shows 1, as stored
    "the second run leaves the notebook's state alone": Case(
        ("x = 0", "x += 1", ("print(x)", "1\n")),
        (("NB106", 1, ("x",), True), ("NB105", 2, ("x",), False)),
    ),
    "a name the cell does not bind is not compared": Case(
        ("x = 1", "x = x + 0\ny = 2"), (("NB106", 1, ("x", "gone"), None),)
    ),
    # NB103 / NB104 / NB110: the fresh run's NameErrors
    "undefined name raises": Case(
        ("print(missing_name)", "x = 1\nx += 1"),
        (("NB104", 0, ("missing_name",), True), ("NB106", 1, ("x",), None)),
    ),
    "name made through globals() is defined": Case(
        ("globals()['made'] = 1", "print(made)"), (("NB104", 1, ("made",), False),)
    ),
    "use before definition raises": Case(
        ("print(later)", "later = 1"), (("NB103", 0, ("later",), True),)
    ),
    "NameError in a function called later": Case(
        ("def f():\n    return ghost", "f()"), (("NB104", 0, ("ghost",), True),)
    ),
    "star import provides the name": Case(
        ("from math import *", "print(pi)", "print(nowhere)"),
        (("NB110", 1, ("pi",), False), ("NB110", 2, ("nowhere",), True)),
    ),
    # NB105 / NB108: the fresh output against the stored one
    "stored output a fresh run does not give": Case(
        ("v = 1", ("print(v)", "2\n")), (("NB108", 1, ("v",), True),)
    ),
    "stored output a fresh run gives": Case(
        ("v = 1", ("print(v)", "1\n")), (("NB105", 1, ("v",), False),)
    ),
    "random output differs from stored and between runs": Case(
        ("import random", ("print(random.random())", "0.5\n")), (("NB105", 1, ("random",), None),)
    ),
    # NB109: two fresh runs
    "unseeded draw differs between runs": Case(
        ("import random", "r = random.random()"), (("NB109", 1, ("random.random",), True),)
    ),
    # the values agree; the generator's state after the cell does not
    "a draw that coincides between runs": Case(
        ("import random", "a = random.randint(2, 2)"), (("NB109", 1, ("random.randint",), True),)
    ),
    "seeded draw agrees between runs": Case(
        ("import random", "random.seed(3)\nr = random.random()\nprint(r)"),
        (("NB109", 1, ("random.random",), False),),
    ),
    "model fitted in a later cell": Case(
        (FOREST, "model = RandomForestClassifier(n_estimators=3)", "model.fit(X, y)"),
        (("NB109", 1, ("RandomForestClassifier",), True),),
    ),
    # plots are drawn with Agg, as verify draws them: nothing shows, yet numpy's generator
    # moved, unseeded (whether that is worth a warning is the static rule's call)
    "randomness that only feeds a plot": Case(
        (
            "import numpy as np\nimport matplotlib.pyplot as plt",
            "plt.hist(np.random.rand(1000))\nplt.show()",
        ),
        (("NB109", 1, ("np.random.rand",), True),),
    ),
    # rules running does not decide, and cells after a stop
    "order and path rules stay undecided": Case(
        ("x = 1", "y = open('/home/me/data.csv')"),
        (
            ("NB101", 0, (), None),
            ("NB102", 0, (), None),
            ("NB107", 0, (), None),
            ("NB111", 1, (), None),
        ),
    ),
    "findings after a missing file stay undecided": Case(
        ("x = 0", "open('no_such_file.csv')", "x += 1", "print(nope)"),
        (("NB106", 2, ("x",), None), ("NB104", 3, ("nope",), None)),
    ),
    # a second run that hangs is stopped and decides nothing; the notebook goes on
    "a second run that hangs": Case(
        (
            "import time\nflag = []",
            "if flag:\n    time.sleep(60)\nflag.append(1)",
            "print(unknown)",
        ),
        (("NB106", 1, ("flag",), None), ("NB104", 2, ("unknown",), True)),
        timeout=4,
    ),
}


def _notebook(case: Case) -> dict[str, Any]:
    cells = []
    for count, cell in enumerate(case.cells, start=1):
        source, stored = cell if isinstance(cell, tuple) else (cell, None)
        cells.append(code(source, count, out(stored) if stored is not None else []))
    return notebook(*cells)


def _findings(case: Case) -> list[Finding]:
    return [
        finding(rule, cell, f"c{cell}", f"{rule} under test", names=names)
        for rule, cell, names, _ in case.expected
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_running_decides(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    path = write(tmp_path / "case.ipynb", _notebook(case))
    before = tree_digest(tmp_path)
    result = confirm(str(path), _findings(case), cell_timeout=case.timeout)
    verdicts = [(f.code, f.cell, f.confirmed) for f in result.findings]
    expected = [(rule, cell, verdict) for rule, cell, _, verdict in case.expected]
    assert verdicts == expected, list(zip(verdicts, result.evidence, strict=True))
    assert all(result.evidence)
    assert tree_digest(tmp_path) == before  # the user's folder is never written


def test_nothing_runs_when_no_finding_can_be_decided(tmp_path: Path) -> None:
    path = write(tmp_path / "nb.ipynb", notebook(code("import time\ntime.sleep(30)", 1)))
    result = confirm(str(path), [finding("NB102", 0, "c0", "x")])
    assert (result.runs, result.findings[0].confirmed) == (0, None)
    assert result.seconds == 0.0


def test_timeout_stops_the_run_and_leaves_later_findings_undecided(tmp_path: Path) -> None:
    cells = notebook(code("import time\ntime.sleep(30)", 1), code("print(nope)", 2))
    path = write(tmp_path / "slow.ipynb", cells)
    result: Confirmation = confirm(
        str(path), [finding("NB104", 1, "c1", "x", names=("nope",))], cell_timeout=2
    )
    assert result.findings[0].confirmed is None
    assert result.stopped_at == 0 and "TimeoutError" in (result.stop_reason or "")
    assert result.seconds < 25


# --- through the API and the command line, with the rules' own findings ----------------------

MIXED = notebook(
    code("x = 0\nitems = []", 1),
    code("x += 1", 2),
    code("items.append(x)", 3),
    code("print(undefined_here)", 4),
)


def test_api_check_confirms_and_drops_refuted(tmp_path: Path) -> None:
    path = str(write(tmp_path / "mixed.ipynb", MIXED))
    static = api.check([path], api.CheckRequest(select=("NB1",)))
    run = api.check([path], api.CheckRequest(select=("NB1",)), confirm=api.ConfirmOptions())
    (before,), (after,) = static.results, run.results
    assert isinstance(before, api.Checked) and isinstance(after, api.Checked)
    assert all(f.confirmed is None for f in before.findings)
    (confirmation,) = run.confirmations
    assert [f.confirmed is not False for f in confirmation.findings].count(True) == len(
        after.findings
    )
    by_code = {(f.code, f.cell): f.confirmed for f in after.findings}
    assert by_code[("NB106", 1)] is True
    assert by_code[("NB104", 3)] is True
    # the NB106 finding on cell 2 (if the rule gives one) is after no stop: it is decided
    assert by_code.get(("NB106", 2)) in (True, None)


def _cli(*args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "nb2prod", "check", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_cli_confirm_json_carries_confirmed(tmp_path: Path) -> None:
    cells = notebook(code("x = 0", 1), code("x += 1", 2), code("print(undefined_here)", 3))
    path = write(tmp_path / "nb.ipynb", cells)
    code_, text = _cli("--confirm", "--format", "json", str(path))
    document = json.loads(text[: text.rindex("}") + 1])
    findings = document["notebooks"][0]["findings"]
    assert code_ == 1
    assert {(f["code"], f["confirmed"]) for f in findings} >= {("NB106", True), ("NB104", True)}
    assert "nb2prod: confirm:" in text and "2 confirmed" in text


def test_cli_show_refuted_keeps_refuted_findings(tmp_path: Path) -> None:
    # `globals()` defines the name: NB104 fires statically and the run refutes it
    path = write(
        tmp_path / "nb.ipynb",
        notebook(code("globals()['made'] = 1", 1), code("print(made)", 2)),
    )
    assert main(["check", "--select", "NB104", "--confirm", "--exit-zero", str(path)]) == 0
    code_, text = _cli("--select", "NB104", "--confirm", "--format", "json", str(path))
    assert code_ == 0 and json.loads(text[: text.rindex("}") + 1])["notebooks"][0]["findings"] == []
    code_, text = _cli(
        "--select", "NB104", "--confirm", "--show-refuted", "--format", "json", str(path)
    )
    findings = json.loads(text[: text.rindex("}") + 1])["notebooks"][0]["findings"]
    assert code_ == 1 and [(f["code"], f["confirmed"]) for f in findings] == [("NB104", False)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--confirm", "{path}/missing.ipynb"], "missing.ipynb: error: no such file"),
        (["--confirm", "{path}/broken.ipynb"], "broken.ipynb: error: is not valid notebook JSON"),
        (["--confirm", "--kernel", "no-such-kernel", "{path}/nb.ipynb"], "nb.ipynb"),
        (["--show-refuted", "{path}/nb.ipynb"], "--show-refuted needs --confirm"),
        (["--confirm", "--timeout", "-1", "{path}/nb.ipynb"], "--timeout must be"),
    ],
)
def test_cli_bad_input_exits_2_naming_it(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "broken.ipynb").write_text("{not json")
    write(tmp_path / "nb.ipynb", notebook(code("print(nope)", 1)))
    code_, text = _cli(*(a.format(path=tmp_path) for a in args))
    assert code_ == 2, text
    assert message in text
    if "no-such-kernel" in args:
        assert "no-such-kernel" in text and "not installed" in text
