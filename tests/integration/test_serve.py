"""The generated model service (templates/serve.py.j2), run for real.

A package is rendered into a temporary folder: the real artifact module, the real contracts
and matrix gate modules (from a profile of the training frame), serve.py, and a small
`predict.py` written here in the shape the generated one has (features, the fitted model from
the artifact, a business rule). A real scikit-learn model is trained and saved with the
package's own artifact module. uvicorn then runs as a separate process on 127.0.0.1, and the
tests talk HTTP to it with httpx. Every process started here is ended by its process group.
"""

from __future__ import annotations

import io
import json
import os
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

from nb2prod.convert.artifact import artifact_context, trust_list
from nb2prod.convert.contracts import contracts_context, profile_frame
from nb2prod.convert.render import render_template
from nb2prod.convert.service import service_context

pytest.importorskip("skops.io")  # dependencies of generated packages, not of nb2prod
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

START_TIMEOUT = 60.0  # seconds for a service to answer /health (imports, artifact load)
FRAME = "applicants"
# Floats travel as JSON with 15 significant digits (serve.py's docstring says so).
FLOAT_RTOL = 1e-14

PREDICT = '''\
"""Score new applicants (written by the test in the shape nb2prod generates)."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from {package}.artifact import Artifact
{imports}
RISK = {{"north": 0.1, "south": 0.3, "east": 0.2, "west": 0.4}}
FEATURES = ["income", "debt", "age", "ratio", "employed", "bonus", "risk"]


def features(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {{
            "income": frame["income"],
            "debt": frame["debt"],
            "age": frame["age"],
            "ratio": frame["debt"] / frame["income"],
            "employed": frame["employed"].astype("int64"),
            "bonus": frame["Annual Bonus"].fillna(0.0),
            "risk": frame["region"].map(RISK).astype("float64"),
        }},
        index=frame.index,
    )


def predict(frame: pd.DataFrame, artifact: Artifact) -> pd.DataFrame:
    # a slow model, when a test needs requests in flight
    time.sleep(float(os.environ.get("TEST_PREDICT_SECONDS", "0")))
    {validate}
    matrix = {matrix}
    proba = artifact.get("scorer", Pipeline).predict_proba(matrix)[:, 1]
    decision = np.where(proba >= 0.35, "decline", "approve")
    return pd.DataFrame({{"proba": proba, "decision": decision}}, index=frame.index)
'''
GUARDED = {
    "imports": "from {package}.contracts import validate\nfrom {package}.gate import to_matrix\n",
    "validate": 'validate(frame, "applicants")',
    "matrix": (
        "to_matrix(features(frame), FEATURES, [c.dtype for c in artifact.metadata.features])"
    ),
}
PLAIN = {"imports": "", "validate": "", "matrix": "features(frame)[FEATURES]"}


def applicants(rows: int, seed: int) -> pd.DataFrame:
    """A frame of the credit demo's shape, with a text column, a flag and nulls."""
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame(
        {
            "income": rng.normal(50_000, 12_000, rows).clip(5_000),
            "debt": rng.normal(9_000, 4_000, rows).clip(0),
            "age": rng.randint(18, 80, rows).astype("int64"),
            "region": pd.Series(rng.choice(["north", "south", "east", "west"], rows)).astype(
                object
            ),
            "employed": rng.rand(rows) > 0.2,
            "Annual Bonus": np.where(rng.rand(rows) > 0.3, rng.exponential(2_000, rows), np.nan),
        }
    )
    return frame


def labels(frame: pd.DataFrame, seed: int) -> pd.Series:
    rng = np.random.RandomState(seed)
    score = frame.debt / frame.income * 5 - frame.age / 60 + rng.normal(0, 0.3, len(frame))
    return (score > score.median()).astype("int64")


@dataclass(frozen=True)
class Built:
    """A rendered package: its folder (holding src/), its name, and its saved artifact."""

    root: Path
    package: str
    artifact: Path

    def env(self, **more: str) -> dict[str, str]:
        env = {**os.environ, "PYTHONPATH": str(self.root / "src"), **more}
        env.pop("PYTHONSAFEPATH", None)
        return env


def build_package(
    root: Path, package: str, *, guarded: bool, lock_file: str = "pylock.toml"
) -> Built:
    """Render a package with a trained, saved model into `root`; nothing is imported here."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    source = root / "src" / package
    source.mkdir(parents=True)
    (source / "__init__.py").write_text('"""A package rendered by the service tests."""\n')
    training = applicants(600, seed=0)
    y = labels(training, seed=1)
    # features as the predict module computes them, to fit the model the artifact holds
    matrix = pd.DataFrame(
        {
            "income": training["income"],
            "debt": training["debt"],
            "age": training["age"],
            "ratio": training["debt"] / training["income"],
            "employed": training["employed"].astype("int64"),
            "bonus": training["Annual Bonus"].fillna(0.0),
            "risk": training["region"].map({"north": 0.1, "south": 0.3, "east": 0.2, "west": 0.4}),
        }
    )
    scorer = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(matrix, y)
    context = artifact_context(
        package=package,
        notebook_name="credit.ipynb",
        notebook_source=b"{}",
        trust=trust_list([scorer], ()),
        distributions=("numpy", "pandas", "scikit-learn"),
    )
    (source / "artifact.py").write_text(render_template("artifact.py.j2", **context.values()))
    profile = profile_frame(training, FRAME)
    if guarded:
        contracts = contracts_context(
            package=package, notebook_name="credit.ipynb", profiles=[profile]
        )
        (source / "contracts.py").write_text(
            render_template("contracts.py.j2", **contracts.values())
        )
        (source / "gate.py").write_text(render_template("gate.py.j2", package=package))
    parts = GUARDED if guarded else PLAIN
    (source / "predict.py").write_text(
        PREDICT.format(
            package=package,
            imports=parts["imports"].format(package=package),
            validate=parts["validate"],
            matrix=parts["matrix"],
        )
    )
    service = service_context(
        package=package,
        notebook_name="credit.ipynb",
        profile=profile,
        contracts=guarded,
        gate=guarded,
        python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
        lock_file=lock_file,
    )
    (source / "serve.py").write_text(render_template("serve.py.j2", **service.values()))
    # save with the package's own artifact module, in a child process as a user would
    training.to_csv(root / "applicants.csv", index=False)
    save = textwrap.dedent(
        f"""
        import sys, skops.io as sio
        from {package} import artifact
        scorer = sio.load(sys.argv[1], trusted=sio.get_untrusted_types(file=sys.argv[1]))
        import pandas as pd
        matrix = pd.read_json(sys.argv[2], orient="split")
        metadata = artifact.describe(
            config={{"pd_threshold": 0.35}},
            metrics={{"auc": 0.8}},
            features=artifact.columns_of(matrix),
            data_files=[sys.argv[3]],
        )
        print(artifact.save({{"scorer": scorer}}, metadata, __import__("pathlib").Path(sys.argv[4])))
        """
    )
    import skops.io as sio

    sio.dump(scorer, root / "scorer.skops")
    (root / "matrix.json").write_text(matrix.head(5).to_json(orient="split"))
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            save,
            str(root / "scorer.skops"),
            str(root / "matrix.json"),
            str(root / "applicants.csv"),
            str(root / "artifacts"),
        ],
        env={**os.environ, "PYTHONPATH": str(root / "src")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return Built(root, package, Path(done.stdout.strip()))


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


def start(built: Built, *options: str, cwd: Path | None = None, **env: str) -> Service:
    """`python -m <package>.serve --artifact ...` on a free port, once /health answers 200."""
    port = free_port()
    command = [sys.executable, "-m", f"{built.package}.serve", "--port", str(port), *options]
    if "--artifact" not in options:
        command += ["--artifact", str(built.artifact)]
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
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_package(tmp_path_factory.mktemp("guarded"), "svc_guarded", guarded=True)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_package(tmp_path_factory.mktemp("plain"), "svc_plain", guarded=False)


@pytest.fixture(scope="module")
def service(guarded: Built) -> Iterator[Service]:
    running = start(guarded, "--max-records", "50", "--max-body-bytes", "20000")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def plain_service(plain: Built) -> Iterator[Service]:
    running = start(plain)
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
        out = predict(pd.read_pickle(sys.argv[2]), load(Path(sys.argv[1])))
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


# --- good requests -------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 7, 50])
def test_good_batch_matches_predict_on_the_same_rows(
    service: Service, guarded: Built, rows: int
) -> None:
    frame = applicants(rows, seed=100 + rows)
    response = httpx.post(f"{service.url}/predict", json=records(frame), timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["x-artifact-version"] == guarded.artifact.name
    assert len(response.headers["x-request-id"]) == 32
    served = pd.DataFrame(response.json())
    expected = reference(guarded, frame)
    assert list(served.columns) == list(expected.columns) == ["proba", "decision"]
    np.testing.assert_allclose(served["proba"], expected["proba"], rtol=FLOAT_RTOL, atol=0)
    assert served["decision"].tolist() == expected["decision"].tolist()


def test_health_and_metadata(service: Service, guarded: Built) -> None:
    health = httpx.get(f"{service.url}/health").json()
    assert health == {"status": "ready", "artifact": guarded.artifact.name}
    meta = httpx.get(f"{service.url}/metadata").json()
    assert meta["artifact"]["version"] == guarded.artifact.name
    assert [f["name"] for f in meta["artifact"]["features"]][:3] == ["income", "debt", "age"]
    assert meta["request"]["fields"] == {
        "income": "float",
        "debt": "float",
        "age": "int",
        "region": "str",
        "employed": "bool",
        "Annual Bonus": "float | None",
    }
    assert meta["request"]["max_records"] == 50


# --- contract violations -------------------------------------------------------------------

GOOD = records(applicants(3, seed=5))


def _with(index: int, **changes: Any) -> list[dict[str, Any]]:
    batch = [dict(r) for r in GOOD]
    for key, value in changes.items():
        key = key.replace("_", " ") if key == "Annual_Bonus" else key
        if value is _DROP:
            del batch[index][key]
        else:
            batch[index][key] = value
    return batch


_DROP = object()

# (id, body, the (record, field, check) each violation names, in any order)
VIOLATIONS = [
    ("missing-field", _with(1, debt=_DROP), {(1, "debt", "missing")}),
    ("new-field", _with(0, score=3), {(0, "score", "extra_forbidden")}),
    ("text-for-number", _with(2, income="50000"), {(2, "income", "float_type")}),
    ("fraction-for-integer", _with(0, age=30.5), {(0, "age", "int_type")}),
    ("number-for-flag", _with(0, employed=1), {(0, "employed", "bool_type")}),
    ("number-for-text", _with(1, region=3), {(1, "region", "string_type")}),
    ("null-where-none-seen", _with(0, income=None), {(0, "income", "float_type")}),
    (
        "every-failure-listed",
        _with(0, income="x", age=None) + _with(2, region=None)[2:],
        {(0, "income", "float_type"), (0, "age", "int_type"), (3, "region", "string_type")},
    ),
    ("record-not-an-object", [GOOD[0], [1, 2]], {(1, None, "model_attributes_type")}),
    ("not-a-list", {"income": 1.0}, {(None, None, "list_type")}),
    ("empty-batch", [], {(None, None, "too_short")}),
]


@pytest.mark.parametrize(
    ("body", "named"), [v[1:] for v in VIOLATIONS], ids=[v[0] for v in VIOLATIONS]
)
def test_request_contract_violation_is_a_422_listing_every_field(
    service: Service, body: Any, named: set[tuple[Any, Any, str]]
) -> None:
    response = httpx.post(f"{service.url}/predict", json=body, timeout=30)
    assert response.status_code == 422, response.text
    answer = response.json()
    found = {(v["record"], v["field"], v["check"]) for v in answer["violations"]}
    assert found == named
    assert answer["request_id"] == response.headers["x-request-id"]


def test_nan_literal_is_refused_like_a_wrong_type(service: Service) -> None:
    body = json.dumps(GOOD).replace('"debt":', '"debt": NaN, "x":', 1)
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
        ({"region": "middle"}, "region", "isin"),
        ({"age": -4}, "age", "in_range"),
    ],
    ids=["out-of-range", "unknown-category", "negative-age"],
)
def test_data_contract_violation_is_a_422_naming_field_and_records(
    service: Service, change: dict[str, Any], field: str, check: str
) -> None:
    body = _with(2, **change)
    response = httpx.post(f"{service.url}/predict", json=body, timeout=30)
    assert response.status_code == 422, response.text
    [violation] = response.json()["violations"]
    assert violation["field"] == field and violation["check"].startswith(check)
    assert violation["rows"] == 1 and violation["records"] == [2]


def test_matrix_gate_failure_is_a_422(service: Service) -> None:
    response = httpx.post(f"{service.url}/predict", json=_with(1, income=0.0), timeout=30)
    assert response.status_code == 422, response.text
    [violation] = response.json()["violations"]
    assert violation["field"] == "ratio" and "infinite" in violation["check"]
    assert violation["records"] == [1]


def test_violations_are_counted_in_metrics(service: Service) -> None:
    def count() -> float:
        text = httpx.get(f"{service.url}/metrics").text
        line = 'svc_guarded_contract_violations_total{check="int_type",field="age"}'
        found = [row.split()[-1] for row in text.splitlines() if row.startswith(line)]
        return float(found[0]) if found else 0.0

    before = count()
    httpx.post(f"{service.url}/predict", json=_with(0, age="old") + _with(1, age=2.5)[1:2])
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


def test_oversize_body_is_a_413_before_it_is_read(service: Service) -> None:
    body = json.dumps(GOOD * 200).encode()  # > 20,000 bytes
    response = httpx.post(
        f"{service.url}/predict", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "20000 bytes" in response.json()["error"]


def test_oversize_streamed_body_is_a_413(service: Service) -> None:
    chunk = json.dumps(GOOD).encode()[1:-1] + b","

    def stream() -> Iterator[bytes]:  # no content-length: chunked transfer
        yield b"["
        for _ in range(100):
            yield chunk
        yield json.dumps(GOOD[0]).encode() + b"]"

    response = httpx.post(
        f"{service.url}/predict", content=stream(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_batch_over_the_record_limit_is_a_413(service: Service) -> None:
    batch = records(applicants(51, seed=9))
    body = json.dumps(batch, separators=(",", ":"))
    assert len(body) < 20_000  # the record limit, not the byte limit, refuses it
    response = httpx.post(
        f"{service.url}/predict", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "at most 50 records" in response.json()["error"]


# --- internal errors -----------------------------------------------------------------------


def test_internal_error_is_a_500_with_a_request_id_and_details_in_the_log_only(
    plain: Built,
) -> None:
    running = start(plain)
    try:
        # no matrix gate in this package: an infinite ratio reaches the model, which raises
        response = httpx.post(f"{running.url}/predict", json=_with(0, income=0.0), timeout=30)
    finally:
        status, log = running.stop()
    assert response.status_code == 500
    answer = response.json()
    assert answer == {"error": "internal error", "request_id": response.headers["x-request-id"]}
    assert "infinity" not in response.text.lower()
    assert f"internal error, request {answer['request_id']}" in log
    assert "Traceback" in log and "infinity" in log.lower()
    assert status == 0


def test_plain_service_scores_and_checks_requests(plain_service: Service, plain: Built) -> None:
    frame = applicants(5, seed=11)
    response = httpx.post(f"{plain_service.url}/predict", json=records(frame))
    assert response.status_code == 200
    expected = reference(plain, frame)
    np.testing.assert_allclose(
        pd.DataFrame(response.json())["proba"], expected["proba"], rtol=FLOAT_RTOL
    )
    bad = httpx.post(f"{plain_service.url}/predict", json=_with(0, region=None))
    assert bad.status_code == 422


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


def test_missing_artifact_stops_the_start_with_one_line(plain: Built, tmp_path: Path) -> None:
    done = _run(plain, tmp_path / "nowhere")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("svc_plain serve: error: ")
    assert str(tmp_path / "nowhere" / "metadata.json") in done.stderr


def test_corrupt_artifact_stops_the_start_with_one_line(plain: Built, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / plain.artifact.name
    shutil.copytree(plain.artifact, copy)
    target = copy / "scorer.skops"
    target.write_bytes(target.read_bytes()[:100])
    done = _run(plain, copy)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert str(target) in done.stderr and "corrupt" in done.stderr


# --- shutdown ------------------------------------------------------------------------------


def test_sigterm_lets_requests_in_flight_finish(guarded: Built) -> None:
    running = start(guarded, "--threads", "8", TEST_PREDICT_SECONDS="1.5")
    frame = applicants(4, seed=21)
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
    expected = reference(guarded, frame)
    for answer in answers:
        np.testing.assert_allclose(
            pd.DataFrame(answer.json())["proba"], expected["proba"], rtol=FLOAT_RTOL
        )
    assert status == 0, log
    assert time.monotonic() - began < 10
    assert "stopped on SIGTERM" in log


# --- what the service writes ---------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime)
        for p in sorted(folder.rglob("*"))
        if "__pycache__" not in p.parts
    }


def test_drift_of_recent_batches_in_metrics_and_no_file_written(
    guarded: Built, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    (work / "monitoring").mkdir(parents=True)
    batches = [
        {"artifact": guarded.artifact.name, "rows": 100, "psi": {"income": 0.02 * n, "proba": 0.3}}
        for n in range(1, 31)
    ]
    lines = [json.dumps(b) for b in batches] + ['{"psi": {"income": 9']  # a line being written
    (work / "monitoring" / "batches.jsonl").write_text("\n".join(lines))
    before = _snapshot(work), _snapshot(guarded.root)
    running = start(guarded, cwd=work)
    try:
        for seed in range(3):
            assert (
                httpx.post(f"{running.url}/predict", json=records(applicants(5, seed))).status_code
                == 200
            )
        httpx.post(
            f"{running.url}/predict", content=b"{", headers={"content-type": "application/json"}
        )
        text = httpx.get(f"{running.url}/metrics").text
    finally:
        running.stop()
    assert 'svc_guarded_drift_psi{name="income"} 0.6' in text  # the newest complete record
    assert 'svc_guarded_drift_psi_max{name="proba"} 0.3' in text
    assert "svc_guarded_drift_batches 20.0" in text  # the last RECENT records
    assert 'svc_guarded_requests_total{method="POST",path="/predict",status="200"} 3.0' in text
    assert 'svc_guarded_requests_total{method="POST",path="/predict",status="400"} 1.0' in text
    assert "svc_guarded_predicted_rows_total 15.0" in text
    assert 'svc_guarded_request_duration_seconds_count{path="/predict"} 4.0' in text
    assert (_snapshot(work), _snapshot(guarded.root)) == before
