"""Golden tests that carry real data: captured inputs, sampled, and the outputs on that sample.

For each generated function, its arguments are taken from the fresh notebook run (the values
its producers returned there), DataFrames and arrays are cut to a few rows, and the function
(whose body is the notebook's own statements, as the static check proved) is run on that
sample; inputs and outputs are pickled under `tests/fixtures/`, and `tests/test_golden.py`
replays them. If a function cannot run on the sample (too few rows for a split, say), the
full inputs are used when small enough, else the function gets no golden test and the report
says why.

The golden tests compare with the very code `verify` compares with: `nb2prod.verify.compare`
is copied byte for byte into the package's tests/ as `_nb2prod_compare`, and the edge cases
recorded here are replayed by a copy of `programs/edges.py` (`tests/_nb2prod_edges.py`).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from nb2prod.convert.plan import Function, Plan
from nb2prod.convert.render import format_source, render_template, root_from_package
from nb2prod.core.vocabulary import Verdict
from nb2prod.verify.capture import Captured
from nb2prod.verify.compare import judge
from nb2prod.verify.edge_fixtures import write_edge_tests
from nb2prod.verify.predict_path import (
    SAMPLE_ROWS,
    PredictCheck,
    PredictRun,
    decision_of,
    notebook_value,
    prediction_array,
    prediction_values,
    without_target,
)
from nb2prod.verify.programs import program
from nb2prod.verify.project import open_view
from nb2prod.verify.sandbox import stands_for
from nb2prod.verify.values import clock_names

MAX_ROWS = 200  # rows of a DataFrame, Series or array kept as a golden test's input
MAX_FULL_BYTES = 2_000_000  # full inputs are used, when the sample fails, up to this pickled size
FIXTURE_TIMEOUT = 1800  # seconds for the whole fixture run
# The fixture program: the capture markers, seeding and edge cases it shares with the other runs.
FIXTURE_PROGRAM = ("parent_death", "capture_hooks", "clock", "seed", "edges", "golden_fixtures")
COMPARER = "_nb2prod_compare"  # the package's copy of nb2prod.verify.compare
EDGES = "_nb2prod_edges.py"  # the package's copy of nb2prod/verify/programs/edges.py
CLOCK = "_nb2prod_clock.py"  # the package's copy of nb2prod/verify/programs/clock.py


def vendored_sources() -> dict[str, bytes]:
    """The files copied into a generated package's tests/, by path there: comparer, edge cases, clock."""
    comparer = resources.files("nb2prod.verify.compare")
    files = {
        f"{COMPARER}/{item.name}": item.read_bytes()
        for item in sorted(comparer.iterdir(), key=lambda item: item.name)
        if item.name.endswith(".py")
    }
    programs = resources.files("nb2prod.verify.programs")
    files[EDGES] = programs.joinpath("edges.py").read_bytes()
    files[CLOCK] = programs.joinpath("clock.py").read_bytes()
    return files


def vendor(tests: Path) -> None:
    """Copy the comparer, the edge cases and the clock into a generated package's tests/ folder."""
    for relative, content in vendored_sources().items():
        target = tests / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _case(function: Function, not_compared: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    return {
        "module": function.module,
        "name": function.name,
        "params": list(function.params),
        "returns": list(function.returns),
        "config": function.takes_config,
        "not_compared": list(not_compared.get(function.name, ())),
        "clocks": sorted(clock_names(function)),
    }


# The tests verify writes into a package's tests/ (convert leaves them out; a preview does too)
WRITTEN_TESTS = frozenset(
    {"test_golden.py", "test_contracts.py", "test_pipeline.py", "test_predict.py", "test_edges.py"}
)


def write_golden_tests(
    plan: Plan,
    captured_dir: Path,
    package_dir: Path,
    workdir: Path,
    only: set[str] | None = None,
    not_compared: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """Write fixtures and tests/test_golden.py into the package; return, per function, what was done.

    Only functions verified equivalent get a golden test: a test built from a function that
    differs from the notebook would lock its mistake in.
    """
    report = write_fixtures(plan, captured_dir, package_dir, workdir, only)
    tests = package_dir / "tests"
    cases = [
        _case(f, not_compared or {})
        for f in plan.functions
        if (tests / "fixtures" / f.name / "outputs.pkl").is_file()
    ]
    if not cases:
        return report
    vendor(tests)
    _write_test(
        tests,
        "test_golden.py",
        package=plan.package,
        cases=cases,
        project_root=root_from_package(plan, package_dir),
    )
    _write_pipeline_test(plan, tests, {c["name"] for c in cases})
    contract_cases = [
        c for c in cases if (tests / "fixtures" / c["name"] / "contracts.json").is_file()
    ]
    edge_cases = [
        c for c in cases if (tests / "fixtures" / c["name"] / "edge_cases.json").is_file()
    ]
    if contract_cases or edge_cases:
        _write_test(
            tests,
            "test_contracts.py",
            package=plan.package,
            project_root=root_from_package(plan, package_dir),
            contract_cases=contract_cases,
            edge_cases=edge_cases,
        )
    write_edge_tests(plan, captured_dir, package_dir, workdir, {c["name"] for c in cases})
    return report


def _write_pipeline_test(plan: Plan, tests: Path, with_fixture: set[str]) -> None:
    """Replay the data steps (no files needed) when every one of them has a fixture."""
    data_steps = [f for f in plan.functions if f.module == "data"]
    if not data_steps or not all(f.name in with_fixture for f in data_steps):
        return
    # each field of `Results` as its last producer left it, when that producer has a fixture;
    # returns that are no field (`_`, a figure) are not on `Results` to compare
    last_producer = {n: f.name for f in plan.functions for n in f.returns}
    expected = [
        {"name": n, "producer": last_producer[n]}
        for n in plan.result_fields
        if last_producer.get(n) in with_fixture
    ]
    _write_test(
        tests,
        "test_pipeline.py",
        package=plan.package,
        replayed=[{"name": f.name, "returns": list(f.returns)} for f in data_steps],
        expected_results=expected,
    )


def write_fixtures(
    plan: Plan, captured_dir: Path, package_dir: Path, workdir: Path, only: set[str] | None = None
) -> dict[str, str]:
    """Write tests/fixtures/<function>/{inputs,outputs}.pkl; return, per function, what was done."""
    producer: dict[str, str] = {}
    functions = []
    for function in plan.functions:
        if only is None or function.name in only:
            functions.append(
                {
                    "name": function.name,
                    "module": function.module,
                    "params": list(function.params),
                    "role": str(function.role.value),
                    "returns": list(function.returns),
                    "config": function.takes_config,
                    "producers": {p: producer.get(p, "") for p in function.params},
                }
            )
        for name in function.returns:
            producer[name] = function.name
    out = package_dir / "tests" / "fixtures"
    out.mkdir(parents=True, exist_ok=True)
    parameters = {
        "captured": str(captured_dir),
        "out": str(out),
        "package": plan.package,
        "functions": functions,
        "max_rows": MAX_ROWS,
        "max_full_bytes": MAX_FULL_BYTES,
    }
    env = {**os.environ, "PYTHONPATH": str(package_dir / "src"), "MPLBACKEND": "Agg"}
    argv = [sys.executable, "-c", program(*FIXTURE_PROGRAM), json.dumps(parameters)]
    with tempfile.TemporaryDirectory(prefix="nb2prod-fixtures-", ignore_cleanup_errors=True) as tmp:
        # a folder standing for the notebook's (sandbox.scratch_copy): the functions re-run on
        # their sampled inputs read the notebook's files through a view of its project
        notebook, cwd = stands_for(workdir), workdir
        if notebook is not None:
            view = open_view(notebook, Path(tmp), start=plan.base_dir)
            argv, cwd = [*view.prefix, *argv], view.launch_dir
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=FIXTURE_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    if done.returncode:
        why = (done.stderr.strip().splitlines() or ["fixture run failed"])[-1]
        return {f.name: f"no golden test: {why}" for f in plan.functions}
    report: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


MAX_ARTIFACT_BYTES = 5_000_000  # an artifact larger than this is not copied into tests/fixtures
PREDICT_FIXTURES = "predict"  # tests/fixtures/predict/{rows.pkl,expected.pkl,artifact/}


def write_predict_test(
    plan: Plan,
    package_dir: Path,
    check: PredictCheck,
    run: PredictRun | None,
    captured: Captured,
) -> str:
    """Write tests/test_predict.py and its fixtures; return what it holds, or why there is none.

    The test loads the artifact the verified run trained (copied under tests/fixtures) and
    applies predict() to the first rows the notebook scored: training again would need the
    notebook's whole data (a sample trains another model) and its time, while the artifact is
    what predict takes in production, so the replay checks the predict path alone, in
    seconds. Only an equivalent predict path gets a test: a test of one that differs would
    lock its mistake in.
    """
    tests = package_dir / "tests"
    out = tests / "fixtures" / PREDICT_FIXTURES
    if out.exists():  # an earlier verification's, which these results replace
        shutil.rmtree(out)
    (tests / "test_predict.py").unlink(missing_ok=True)
    if check.verdict is not Verdict.EQUIVALENT or run is None:
        return f"no predict test: the predict path is {check.verdict}"
    outcome = run.outcome
    artifact = Path(str(outcome.get("artifact_dir", "")))
    size = sum(p.stat().st_size for p in artifact.rglob("*") if p.is_file())
    if size > MAX_ARTIFACT_BYTES:
        return f"no predict test: the artifact is {size / 1e6:.1f} MB, over the fixtures' limit"
    rows = outcome["rows"]
    n = min(len(rows), SAMPLE_ROWS)
    sample = outcome.get("sample")
    if isinstance(sample, str) or len(getattr(sample, "index", ())) != n:
        return f"no predict test: predict() fails on the first {n} rows alone ({sample})"
    predictions = [c.name for c in check.compared if c.verdict is Verdict.EQUIVALENT]
    expected: dict[str, Any] = {}
    for name in predictions:
        value = notebook_value(plan, captured, name)[1]
        expected[name] = value.iloc[:n] if hasattr(value, "iloc") else value[:n]
        if name in check.predictions:  # the array predict()'s column holds
            expected[name] = prediction_array(expected[name])
        else:
            expected[name] = without_target(expected[name], check.target)
    names = check.predictions
    for name, value in expected.items():
        got = prediction_values(sample, name) if name in names else decision_of(sample, value, name)
        judged = judge(value, got)
        if not isinstance(judged, str) and judged.verdict != "equal":
            return (
                f"no predict test: on its first {n} rows alone predict() gives another {name} "
                f"(a step computes over the batch): {judged.detail.splitlines()[0]}"
            )
    out.mkdir(parents=True)
    shutil.copytree(artifact, out / "artifact")
    (out / "rows.pkl").write_bytes(pickle.dumps(rows.iloc[:n]))
    (out / "expected.pkl").write_bytes(pickle.dumps(expected))
    vendor(tests)
    _write_test(
        tests,
        "test_predict.py",
        package=plan.package,
        predictions=[n for n in predictions if n in names],
        decisions=[n for n in predictions if n not in names],
    )
    compared = ", ".join(predictions)
    return f"tests/test_predict.py: predict() on {n} of the rows the notebook scored ({compared})"


def _write_test(tests: Path, name: str, **context: Any) -> None:
    """tests/<name> from templates/<name>.j2, formatted as the package's own modules are."""
    text = render_template(f"{name}.j2", **context)
    (tests / name).write_text(format_source(text, name), "utf-8")
