"""The generated model service (templates/serve.py.j2) of the real demo package, run for real.

sample_notebooks/demo/credit_approval.ipynb is converted (`nb2prod convert --no-verify
--no-pin`) into a temporary folder once per module, and trained there with `python -m
credit_approval train`: the artifact holds the model and the contract `train` learned of the
input frame, from which the service builds its request model at start-up. uvicorn then runs
`python -m credit_approval.serve` as a separate process on 127.0.0.1, and the tests talk HTTP
to it with httpx. Every process started here is ended by its process group.

Text and flag fields, and labels that are not Python names, do not occur in the demo's input:
tests/unit/test_service_context.py shows those on a profile made for them.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("skops.io")  # dependencies of generated packages, not of nb2prod
pytest.importorskip("pandera")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "sample_notebooks" / "demo" / "credit_approval.ipynb"
PACKAGE = "credit_approval"
TARGET = "default"  # the demo's label column: not part of a request
START_TIMEOUT = 60.0  # seconds for a service to answer /health (imports, artifact load)
# Floats travel as JSON with 15 significant digits (serve.py's docstring says so).
FLOAT_RTOL = 1e-14
# A service started from the package folder: the slowed one of the shutdown test
SLOW_SERVE = """\
import sys, time
from {package} import serve
scored = serve.predict
def slow(*args, **kwargs):  # the real predict, after a pause: requests stay in flight
    time.sleep(float(sys.argv[1]))
    return scored(*args, **kwargs)
serve.predict = slow
sys.exit(serve.main(sys.argv[2:]))
"""


@dataclass(frozen=True)
class Built:
    """A converted, trained package: its folder (holding src/), its name, and its artifact."""

    root: Path
    package: str
    artifact: Path

    def env(self, **more: str) -> dict[str, str]:
        env = {**os.environ, "PYTHONPATH": str(self.root / "src"), **more}
        env.pop("PYTHONSAFEPATH", None)
        return env

    def inputs(self) -> pd.DataFrame:
        """The rows training read (the demo writes them under data/), without the target."""
        [found] = (self.root / "data").glob("*.csv")
        return pd.read_csv(found).drop(columns=[TARGET])


def demo_package(root: Path) -> Built:
    """Convert the demo into `root` and train it there, as a user would."""
    convert = subprocess.run(
        [
            sys.executable,
            "-m",
            "nb2prod",
            "convert",
            str(DEMO),
            "--no-verify",
            "--no-pin",
            "--out",
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert convert.returncode == 0, convert.stdout + convert.stderr
    assert (root / "src" / PACKAGE / "serve.py").is_file()
    built = Built(root, PACKAGE, root)
    train = subprocess.run(
        [sys.executable, "-m", PACKAGE, "train"],
        cwd=root,
        env=built.env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert train.returncode == 0, train.stdout + train.stderr
    [artifact] = (root / "artifacts").iterdir()
    return Built(root, PACKAGE, artifact)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Service:
    """A service running in its own process group, and where it answers."""

    process: subprocess.Popen[str]
    url: str

    def stop(self) -> tuple[int, str]:
        """SIGTERM its group, wait, and return its exit status and log."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            _, log = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            _, log = self.process.communicate()
        return self.process.returncode, log


def start(
    built: Built, *options: str, cwd: Path | None = None, slow: float = 0.0, **env: str
) -> Service:
    """`python -m credit_approval.serve --artifact ...` on a free port, once /health answers
    200; `slow`: seconds each predict() call waits first (SLOW_SERVE)."""
    port = free_port()
    serve = ["-m", f"{built.package}.serve"]
    if slow:
        serve = ["-c", SLOW_SERVE.format(package=built.package), str(slow)]
    command = [sys.executable, *serve, "--port", str(port), *options]
    if "--artifact" not in options:
        command += ["--artifact", str(built.artifact)]
    if "--monitoring" not in options:  # the records predict appends, kept out of the package
        command += ["--monitoring", str(built.root / "monitoring")]
    process = subprocess.Popen(
        command,
        cwd=cwd or built.root,
        env=built.env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: stopped as one, by its id
    )
    service = Service(process, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, log = process.communicate()
            raise AssertionError(f"the service exited with {process.returncode}:\n{log}")
        try:
            if httpx.get(f"{service.url}/health", timeout=1.0).status_code == 200:
                return service
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    service.stop()
    raise AssertionError("the service did not answer /health in time")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return demo_package(tmp_path_factory.mktemp("demo") / "pkg")


@pytest.fixture(scope="module")
def service(demo: Built) -> Iterator[Service]:
    running = start(demo, "--max-records", "50", "--max-body-bytes", "20000")
    yield running
    running.stop()


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as a client sends them: JSON values, null for a missing one."""
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in json.loads(frame.to_json(orient="records", double_precision=15))
    ]


def reference(built: Built, frame: pd.DataFrame) -> pd.DataFrame:
    """predict() of the package on `frame` as it is, in a process of its own (as batch scoring
    runs), with the artifact loaded there."""
    data = built.root / f"reference-{os.getpid()}-{time.monotonic_ns()}.pkl"
    frame.to_pickle(data)
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        import pandas as pd
        from {built.package}.artifact import load
        from {built.package}.predict import predict
        out = predict(pd.read_pickle(sys.argv[2]), load(Path(sys.argv[1])), monitoring=None)
        sys.stdout.write(out.to_json(orient="split", double_precision=15))
        """
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, str(built.artifact), str(data)],
            env=built.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        data.unlink()
    assert done.returncode == 0, done.stderr
    return pd.read_json(io.StringIO(done.stdout), orient="split")


def sample(built: Built, rows: int, seed: int) -> pd.DataFrame:
    """`rows` of the demo's input rows, some with a missing employment_years among them."""
    frame = built.inputs()
    missing = frame[frame["employment_years"].isna()].head(1)
    picked = frame.sample(rows, random_state=seed)
    if rows > 2:
        picked = pd.concat([picked.iloc[:-1], missing])
    return picked.reset_index(drop=True)


# --- good requests -------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 7, 50])
def test_good_batch_matches_predict_on_the_same_rows(
    service: Service, demo: Built, rows: int
) -> None:
    frame = sample(demo, rows, seed=100 + rows)
    response = httpx.post(f"{service.url}/predict", json=records(frame), timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["x-artifact-version"] == demo.artifact.name
    assert len(response.headers["x-request-id"]) == 32
    served = pd.DataFrame(response.json())
    expected = reference(demo, frame)
    assert list(served.columns) == list(expected.columns)
    assert "proba_test" in served.columns
    for column in expected.columns:
        if pd.api.types.is_float_dtype(expected[column]):
            np.testing.assert_allclose(
                served[column], expected[column], rtol=FLOAT_RTOL, atol=0, err_msg=column
            )
        else:
            assert served[column].tolist() == expected[column].tolist(), column


def test_health_and_metadata(service: Service, demo: Built) -> None:
    health = httpx.get(f"{service.url}/health").json()
    assert health == {"status": "ready", "artifact": demo.artifact.name}
    meta = httpx.get(f"{service.url}/metadata").json()
    assert meta["artifact"]["version"] == demo.artifact.name
    assert [f["name"] for f in meta["artifact"]["features"]][:3] == ["income", "debt", "age"]
    # the fields are the columns the notebook's data step makes, as train read them
    assert meta["request"]["fields"] == {
        "applicant_id": "int",
        "income": "float",
        "debt": "float",
        "age": "int",
        "employment_years": "float | None",
        "num_late_payments": "int",
        "loan_amount": "float",
    }
    assert meta["request"]["max_records"] == 50


# --- contract violations -------------------------------------------------------------------


def _good(built: Built) -> list[dict[str, Any]]:
    return records(built.inputs().head(3))


_DROP = object()


def _with(batch: list[dict[str, Any]], index: int, **changes: Any) -> list[dict[str, Any]]:
    batch = [dict(r) for r in batch]
    for key, value in changes.items():
        if value is _DROP:
            del batch[index][key]
        else:
            batch[index][key] = value
    return batch


# (id, changes to (record, field), the (record, field, check) each violation names)
VIOLATIONS: list[tuple[str, list[tuple[int, dict[str, Any]]], set[tuple[Any, Any, str]]]] = [
    ("missing-field", [(1, {"debt": _DROP})], {(1, "debt", "missing")}),
    ("new-field", [(0, {"score": 3})], {(0, "score", "extra_forbidden")}),
    ("text-for-number", [(2, {"income": "50000"})], {(2, "income", "float_type")}),
    ("fraction-for-integer", [(0, {"age": 30.5})], {(0, "age", "int_type")}),
    (
        "flag-for-integer",
        [(0, {"num_late_payments": True})],
        {(0, "num_late_payments", "int_type")},
    ),
    ("null-where-none-seen", [(0, {"income": None})], {(0, "income", "float_type")}),
    (
        "missing-nullable-field",
        [(1, {"employment_years": _DROP})],
        {(1, "employment_years", "missing")},
    ),
    (
        "every-failure-listed",
        [(0, {"income": "x", "age": None}), (2, {"loan_amount": None, "applicant_id": 1.5})],
        {
            (0, "income", "float_type"),
            (0, "age", "int_type"),
            (2, "loan_amount", "float_type"),
            (2, "applicant_id", "int_type"),
        },
    ),
]


@pytest.mark.parametrize(
    ("changes", "named"), [v[1:] for v in VIOLATIONS], ids=[v[0] for v in VIOLATIONS]
)
def test_request_contract_violation_is_a_422_listing_every_field(
    service: Service,
    demo: Built,
    changes: list[tuple[int, dict[str, Any]]],
    named: set[tuple[Any, Any, str]],
) -> None:
    body = _good(demo)
    for index, change in changes:
        body = _with(body, index, **change)
    response = httpx.post(f"{service.url}/predict", json=body, timeout=30)
    assert response.status_code == 422, response.text
    answer = response.json()
    found = {(v["record"], v["field"], v["check"]) for v in answer["violations"]}
    assert found == named
    assert answer["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("[RECORD, [1, 2]]", {(1, None, "model_type")}),
        ('{"income": 1.0}', {(None, None, "list_type")}),
        ("[]", {(None, None, "too_short")}),
    ],
    ids=["record-not-an-object", "not-a-list", "empty-batch"],
)
def test_batch_of_the_wrong_shape_is_a_422(
    service: Service, demo: Built, body: str, named: set[tuple[Any, Any, str]]
) -> None:
    text = body.replace("RECORD", json.dumps(_good(demo)[0]))
    response = httpx.post(
        f"{service.url}/predict", content=text, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    found = {(v["record"], v["field"], v["check"]) for v in response.json()["violations"]}
    assert found == named


def test_nan_literal_is_refused_like_a_wrong_type(service: Service, demo: Built) -> None:
    body = json.dumps(_good(demo)).replace('"debt":', '"debt": NaN, "x":', 1)
    response = httpx.post(
        f"{service.url}/predict", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    checks = {(v["record"], v["field"], v["check"]) for v in response.json()["violations"]}
    assert (0, "debt", "finite_number") in checks


@pytest.mark.parametrize(
    ("change", "field", "check"),
    [
        ({"income": 50_000_000.0}, "income", "in_range"),  # a change of unit, x1000
        ({"age": -4}, "age", "in_range"),
        ({"num_late_payments": 40}, "num_late_payments", "in_range"),
    ],
    ids=["out-of-range", "negative-age", "unseen-count"],
)
def test_data_contract_violation_is_a_422_naming_field_and_records(
    service: Service, demo: Built, change: dict[str, Any], field: str, check: str
) -> None:
    body = _with(_good(demo), 2, **change)
    response = httpx.post(f"{service.url}/predict", json=body, timeout=30)
    assert response.status_code == 422, response.text
    [violation] = response.json()["violations"]
    assert violation["field"] == field and violation["check"].startswith(check)
    assert violation["rows"] == 1 and violation["records"] == [2]


def test_duplicate_ids_break_the_learned_uniqueness(service: Service, demo: Built) -> None:
    good = _good(demo)
    body = _with(good, 2, applicant_id=good[0]["applicant_id"])
    response = httpx.post(f"{service.url}/predict", json=body, timeout=30)
    assert response.status_code == 422, response.text
    [violation] = response.json()["violations"]
    assert violation["field"] == "applicant_id" and "unique" in violation["check"]


def test_matrix_gate_failure_is_a_422(service: Service, demo: Built) -> None:
    # income 0 is inside the learned range (its margin reaches 0); the ratios become infinite
    response = httpx.post(
        f"{service.url}/predict", json=_with(_good(demo), 1, income=0.0), timeout=30
    )
    assert response.status_code == 422, response.text
    found = response.json()["violations"]
    assert found and all(v["records"] == [1] for v in found)
    assert {v["field"] for v in found} <= {"debt_to_income", "loan_to_income", "log_income"}


def test_violations_are_counted_in_metrics(service: Service, demo: Built) -> None:
    def count() -> float:
        text = httpx.get(f"{service.url}/metrics").text
        line = 'credit_approval_contract_violations_total{check="int_type",field="age"}'
        found = [row.split()[-1] for row in text.splitlines() if row.startswith(line)]
        return float(found[0]) if found else 0.0

    before = count()
    good = _good(demo)
    httpx.post(
        f"{service.url}/predict", json=_with(good, 0, age="old") + _with(good, 1, age=2.5)[1:2]
    )
    assert count() == before + 2


# --- malformed and oversize bodies ---------------------------------------------------------


@pytest.mark.parametrize(
    "body", [b'[{"income": 1.0,', b"not json", b"\xff\xfe\x00"], ids=["truncated", "text", "bytes"]
)
def test_malformed_json_is_a_400(service: Service, body: bytes) -> None:
    response = httpx.post(
        f"{service.url}/predict", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("the body is not valid JSON")


def test_oversize_body_is_a_413_before_it_is_read(service: Service, demo: Built) -> None:
    body = json.dumps(_good(demo) * 200).encode()  # > 20,000 bytes
    response = httpx.post(
        f"{service.url}/predict", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "20000 bytes" in response.json()["error"]


def test_oversize_streamed_body_is_a_413(service: Service, demo: Built) -> None:
    good = _good(demo)
    chunk = json.dumps(good).encode()[1:-1] + b","

    def stream() -> Iterator[bytes]:  # no content-length: chunked transfer
        yield b"["
        for _ in range(100):
            yield chunk
        yield json.dumps(good[0]).encode() + b"]"

    response = httpx.post(
        f"{service.url}/predict", content=stream(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_batch_over_the_record_limit_is_a_413(service: Service, demo: Built) -> None:
    batch = records(demo.inputs().head(51))
    body = json.dumps(batch, separators=(",", ":"))
    assert len(body) < 20_000  # the record limit, not the byte limit, refuses it
    response = httpx.post(
        f"{service.url}/predict", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "at most 50 records" in response.json()["error"]


# --- internal errors -----------------------------------------------------------------------


def test_internal_error_is_a_500_with_a_request_id_and_details_in_the_log_only(
    demo: Built, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the monitoring folder should be\n")
    running = start(demo, "--monitoring", str(blocked))
    try:
        response = httpx.post(f"{running.url}/predict", json=_good(demo), timeout=30)
    finally:
        status, log = running.stop()
    assert response.status_code == 500
    answer = response.json()
    assert answer == {"error": "internal error", "request_id": response.headers["x-request-id"]}
    assert str(blocked) not in response.text
    assert f"internal error, request {answer['request_id']}" in log
    assert "Traceback" in log and str(blocked) in log
    assert status == 0


# --- start-up ------------------------------------------------------------------------------


def _run(built: Built, artifact: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            f"{built.package}.serve",
            "--artifact",
            str(artifact),
            "--port",
            str(free_port()),
        ],
        env=built.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_missing_artifact_stops_the_start_with_one_line(demo: Built, tmp_path: Path) -> None:
    done = _run(demo, tmp_path / "nowhere")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("credit_approval serve: error: ")
    assert str(tmp_path / "nowhere" / "metadata.json") in done.stderr


def test_corrupt_artifact_stops_the_start_with_one_line(demo: Built, tmp_path: Path) -> None:
    copy = tmp_path / demo.artifact.name
    shutil.copytree(demo.artifact, copy)
    target = copy / "model.skops"
    target.write_bytes(target.read_bytes()[:100])
    done = _run(demo, copy)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert str(target) in done.stderr and "corrupt" in done.stderr


# --- shutdown ------------------------------------------------------------------------------


def test_sigterm_lets_requests_in_flight_finish(demo: Built) -> None:
    running = start(demo, "--threads", "8", slow=1.5)
    frame = sample(demo, 4, seed=21)
    body = records(frame)
    with ThreadPoolExecutor(8) as pool:
        futures = [
            pool.submit(httpx.post, f"{running.url}/predict", json=body, timeout=30)
            for _ in range(8)
        ]
        time.sleep(0.7)  # all 8 are in predict (1.5 s each, in the service's 8 threads)
        os.killpg(running.process.pid, signal.SIGTERM)
        began = time.monotonic()
        with pytest.raises(httpx.TransportError):  # no new connection is accepted
            time.sleep(0.2)
            httpx.post(f"{running.url}/predict", json=body, timeout=5)
        answers = [f.result() for f in futures]
    status, log = running.stop()
    assert [a.status_code for a in answers] == [200] * 8
    expected = reference(demo, frame)
    for answer in answers:
        np.testing.assert_allclose(
            pd.DataFrame(answer.json())["proba_test"], expected["proba_test"], rtol=FLOAT_RTOL
        )
    assert status == 0, log
    assert time.monotonic() - began < 10
    assert "stopped on SIGTERM" in log


# --- what the service writes: the monitoring records, read back for /metrics ---------------


def _snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime)
        for p in sorted(folder.rglob("*"))
        if "__pycache__" not in p.parts and "monitoring" not in p.parts
    }


def test_monitoring_records_feed_the_drift_metrics_and_nothing_else_is_written(
    demo: Built, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    folder = work / "monitoring"
    before = _snapshot(work), _snapshot(demo.root)
    running = start(demo, "--monitoring", str(folder), cwd=work)
    try:
        for seed in range(3):
            batch = records(sample(demo, 5, seed))
            assert httpx.post(f"{running.url}/predict", json=batch).status_code == 200
        httpx.post(
            f"{running.url}/predict", content=b"{", headers={"content-type": "application/json"}
        )
        with open(folder / "batches.jsonl", "a") as handle:
            handle.write('{"psi": {"income": 9')  # a record being written: skipped
        text = httpx.get(f"{running.url}/metrics").text
    finally:
        running.stop()
    written = [
        json.loads(line) for line in (folder / "batches.jsonl").read_text().splitlines()[:-1]
    ]
    assert len(written) == 3 and all(w["rows"] == 5 for w in written)
    # what monitoring.py wrote is what the gauges show
    last, shown = written[-1], {}
    for line in text.splitlines():
        if line.startswith("credit_approval_drift_psi{"):
            name = line.split('name="')[1].split('"')[0]
            shown[name] = float(line.split()[-1])
    expected = {k: v for k, v in last["psi"].items() if v is not None}
    expected["(prediction)"] = last["prediction_psi"]
    assert shown == pytest.approx(expected) and "income" in shown
    largest = max(w["psi"]["income"] for w in written)
    assert f'credit_approval_drift_psi_max{{name="income"}} {largest}' in text
    assert "credit_approval_drift_batches 3.0" in text
    assert 'credit_approval_requests_total{method="POST",path="/predict",status="200"} 3.0' in text
    assert 'credit_approval_requests_total{method="POST",path="/predict",status="400"} 1.0' in text
    assert "credit_approval_predicted_rows_total 15.0" in text
    assert 'credit_approval_request_duration_seconds_count{path="/predict"} 4.0' in text
    assert (_snapshot(work), _snapshot(demo.root)) == before
    assert sorted(p.name for p in folder.iterdir()) == ["batches.jsonl"]
