"""`nb2prod verify` and `convert` with verification, end to end with real kernels.

Proves the claim both ways: the demo's package is verified equivalent and its generated tests
pass; a package with one operator changed is caught (NB401), and its generated tests go red.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod.cli import ExitCode, main
from nb2prod.notebook.load import load
from tests.helpers import code, md, notebook, write

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
pytestmark = pytest.mark.slow


def _pytest(package: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package / "src"), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        cwd=package,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    work = tmp_path_factory.mktemp("demo")
    shutil.copy(DEMO, work / DEMO.name)
    import io
    from contextlib import redirect_stdout

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        status = main(
            ["convert", str(work / DEMO.name), "--out", str(work / "pkg"), "--no-second-run"]
        )
    return work, status, buffer.getvalue()


def test_demo_is_verified_equivalent(demo: tuple[Path, int, str]) -> None:
    work, status, out = demo
    assert status == ExitCode.OK, out
    assert "EQUIVALENT" in out
    report = json.loads((work / "pkg" / "nb2prod-report.json").read_text())["verification"]
    assert report["verdict"] == "equivalent"
    assert all(f["verdict"] == "equivalent" for f in report["functions"])
    assert {"build_features", "train_model", "apply_business_rules"} <= {
        f["function"] for f in report["functions"]
    }
    assert "## Verification" in (work / "pkg" / "nb2prod-report.md").read_text()
    assert "EQUIVALENT" in (work / "pkg" / "nb2prod-report.html").read_text()
    assert "pandas" in report["imported_modules"]


def test_generated_golden_tests_pass_and_can_fail(
    demo: tuple[Path, int, str], tmp_path: Path
) -> None:
    work, _, _ = demo
    package = work / "pkg"
    assert (package / "tests" / "test_golden.py").is_file()
    assert (
        package / "tests" / "test_contracts.py"
    ).is_file()  # data contracts and empty-input behaviour
    assert (package / "tests" / "test_pipeline.py").is_file()  # run() with the data steps replayed
    assert (package / "tests" / "fixtures" / "build_features" / "contracts.json").is_file()
    assert any((package / "tests" / "fixtures").iterdir())
    passed = _pytest(package)
    assert passed.returncode == 0, passed.stdout[-3000:]
    # the same tests on a package with one operator changed must fail
    mutant = tmp_path / "mutant"
    shutil.copytree(package, mutant)
    features = mutant / "src" / "credit_approval" / "features.py"
    text = features.read_text()
    assert 'df["debt"] = df["debt"] / 1000' in text
    features.write_text(
        text.replace('df["debt"] = df["debt"] / 1000', 'df["debt"] = df["debt"] * 1000')
    )
    failed = _pytest(mutant)
    assert failed.returncode != 0 and "build_df" in failed.stdout
    assert "test_golden.py::test_golden[build_df]" in failed.stdout


def test_edge_cases_are_recorded_from_the_code_and_catch_a_change_the_data_never_shows(
    demo: tuple[Path, int, str], tmp_path: Path
) -> None:
    work, _, _ = demo
    package = work / "pkg"
    edges = json.loads(
        (package / "tests" / "fixtures" / "build_features" / "edge_cases.json").read_text()
    )
    cases = {(e["case"], e["column"]): e["outcome"] for e in edges}
    # income is named by the code and divided by (in add_ratios, which build_features calls)
    assert set(cases) == {("empty", None), ("nan", "income"), ("zero_denominator", "income")}
    assert (
        "debt_to_income"
        in cases[("zero_denominator", "income")]["returns"]["df_feat"]["non_finite"]
    )
    assert cases[("empty", None)]["returns"]["X"]["non_finite"] == []
    # guarding the division changes nothing on the real data (no zero income), so the golden
    # test still passes; the recorded zero-denominator case tells
    mutant = tmp_path / "mutant"
    shutil.copytree(package, mutant)
    features = mutant / "src" / "credit_approval" / "features.py"
    text = features.read_text()
    assert 'df["debt_to_income"] = df["debt"] / df["income"]' in text
    features.write_text(
        text.replace(
            'df["debt_to_income"] = df["debt"] / df["income"]',
            'df["debt_to_income"] = df["debt"] / df["income"].clip(lower=1e-9)',
        )
    )
    failed = _pytest(mutant)
    assert failed.returncode != 0
    assert "test_edge_case_behaves_as_recorded[build_features-df-zero_denominator]" in failed.stdout
    assert "test_golden[build_features]" not in failed.stdout  # only the edge case saw it


def test_altered_package_is_caught_by_verify(
    demo: tuple[Path, int, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work, _, _ = demo
    mutant = tmp_path / "pkg"
    shutil.copytree(work / "pkg", mutant)
    business = mutant / "src" / "credit_approval" / "business.py"
    text = business.read_text()
    assert '(out["pd"] < pd_threshold)' in text
    business.write_text(
        text.replace('(out["pd"] < pd_threshold)', '(out["pd"] <= pd_threshold * 1.5)')
    )
    status = main(["verify", str(work / DEMO.name), str(mutant), "--no-second-run"])
    out = capsys.readouterr().out
    assert status == ExitCode.FINDINGS
    assert "NOT EQUIVALENT" in out and "apply_business_rules" in out and "NB401" in out


def test_hidden_state_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = {"output_type": "stream", "name": "stdout", "text": ["41\n"]}
    path = write(
        tmp_path / "hidden.ipynb",
        notebook(
            md("## Hidden state"),
            code("x = 40", 1),
            code(
                "print(x + 1)", 3, outputs=[stale]
            ),  # ran when x was 40 ... then x became 41 elsewhere
            code("y = undefined_name + 1", 2),
        ),
    )
    # make the stored output disagree with a fresh run: x + 1 is 41 fresh, stored says 42
    data = json.loads(path.read_text())
    data["cells"][2]["outputs"][0]["text"] = ["42\n"]
    path.write_text(json.dumps(data))
    status = main(["verify", str(path), "--no-second-run"])
    out = capsys.readouterr().out
    assert "NB301" in out and ":cell 2:" in out
    assert "NB302" in out and ":cell 3:" in out
    assert status != ExitCode.OK


@pytest.mark.parametrize("cores", [1, 2], ids=["after-the-first-run", "beside-the-first-run"])
def test_second_run_tells_nondeterministic_cells_from_hidden_state(
    tmp_path: Path, cores: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nb2prod.verify.verification.os.cpu_count", lambda: cores)

    def printed(text: str) -> dict[str, object]:
        return {"output_type": "stream", "name": "stdout", "text": [text]}

    path = write(
        tmp_path / "mixed.ipynb",
        notebook(
            code("import random\nx = 40", 1, outputs=[]),
            code("print(x + 1)", 2, outputs=[printed("42\n")]),  # stale: x was 41 when it ran
            # unseeded (NB109): the second run starts beside the first when there is a second core
            code("print(random.random())", 3, outputs=[printed("0.5\n")]),
            code("print(x * 2)", 4, outputs=[printed("80\n")]),  # reproduces
        ),
    )
    from nb2prod.convert.plan import make_plan
    from nb2prod.verify.verification import verify

    result = verify(str(path), make_plan(load(str(path))), None)
    statuses = {c.cell: c.status for c in result.cells}
    assert statuses == {0: "same", 1: "differs", 2: "nondeterministic", 3: "same"}
    codes = {(f.code, f.cell) for f in result.findings}
    assert ("NB301", 1) in codes and ("NB303", 2) in codes and ("NB301", 2) not in codes


def test_unseeded_generator_is_unverified_not_a_conversion_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "rng.ipynb",
        notebook(
            md("## Data"),
            code(
                "import numpy as np\nrng = np.random.default_rng()\nsample = rng.normal(size=5)", 1
            ),
            md("## Features"),
            code("scaled = sample * 2", 2),
        ),
    )
    status = main(["verify", str(path), "--no-second-run"])
    out = capsys.readouterr().out
    assert "NB401" not in out
    assert "nondeterministic" in out and "NB402" in out
    assert status == ExitCode.UNVERIFIED


def test_unconvertible_notebook_still_gets_its_hidden_state_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = {"output_type": "stream", "name": "stdout", "text": ["12\n"]}
    path = write(
        tmp_path / "old.ipynb",
        notebook(
            code(
                "print(figsize)", 1, outputs=[ran]
            ),  # figsize came from a %pylab cell since deleted
            code("print 'python 2 syntax'", 2),
        ),
    )
    status = main(["verify", str(path), "--no-second-run"])
    captured = capsys.readouterr()
    assert status == ExitCode.USAGE
    assert "cannot convert" in captured.out and "cell 1" in captured.out
    assert ":cell 0:line 1: NB302 fresh run fails at this cell (NameError" in captured.out


def test_many_notebooks_in_worker_processes_match_one_at_a_time(tmp_path: Path) -> None:
    paths = []
    for name, body in (
        ("good", "x = 2\ny = x * 21"),
        ("broken", "x = 2\ny = x * undefined_name"),
        ("third", "import math\nz = math.sqrt(16)"),
    ):
        paths.append(
            str(write(tmp_path / f"{name}.ipynb", notebook(md("## Step"), code(body, None))))
        )

    def verify_all(jobs: str) -> tuple[int, list[str]]:
        done = subprocess.run(
            [sys.executable, "-m", "nb2prod", "verify", "-j", jobs, "--no-second-run", *paths],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        timings = re.compile(r"notebook [\d.]+ s, package [\d.]+ s, wall [\d.]+ s")
        return done.returncode, sorted(
            timings.sub("", line) for line in done.stdout.splitlines() if line.strip()
        )

    parallel, serial = verify_all("2"), verify_all("1")
    assert parallel == serial
    status, lines = parallel
    assert f"{paths[0]}: EQUIVALENT: every value" in "\n".join(lines)
    assert f"{paths[1]}: UNVERIFIED" in "\n".join(
        lines
    ) and f"{paths[1]}:cell 1:line 1: NB302" in "\n".join(lines)
    assert f"{paths[2]}: EQUIVALENT: every value" in "\n".join(lines)
    assert status == ExitCode.UNVERIFIED  # the worst of the three


def test_clock_readings_are_not_compared_and_do_not_break_the_generated_tests(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "timed.ipynb",
        notebook(
            code("import time\nimport numpy as np", 1, outputs=[]),
            md("## Features"),
            code(
                "start = time.perf_counter()\nvalues = np.arange(1000.0)\nsquares = values ** 2\n"
                "elapsed = time.perf_counter() - start",
                2,
                outputs=[],
            ),
            md("## Model"),
            code("# nb2prod: model\ntotal = squares.sum() + 0 * elapsed", 3, outputs=[]),
        ),
    )
    status = main(["convert", str(path), "--out", str(tmp_path / "pkg")])
    report = json.loads((tmp_path / "pkg" / "nb2prod-report.json").read_text())["verification"]
    assert status == ExitCode.OK and report["verdict"] == "equivalent", report
    values = {(f["function"], v["name"]): v for f in report["functions"] for v in f["values"]}
    clocks = [v for v in values.values() if "clock reading" in v["detail"]]
    assert {v["name"] for v in clocks} >= {"elapsed"}
    assert all(v["verdict"] == "display" for v in clocks)
    assert any(v["name"] == "squares" and v["verdict"] == "equivalent" for v in values.values())
    golden = (tmp_path / "pkg" / "tests" / "test_golden.py").read_text()
    assert '"elapsed"' in golden  # listed as not compared for its function
    passed = _pytest(tmp_path / "pkg")
    assert passed.returncode == 0, passed.stdout[-3000:]
