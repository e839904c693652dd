"""The model service of nb109_clean_sklearn_np_seed: `python -m nb109_clean_sklearn_np_seed serve --artifact DIR`.

FastAPI on uvicorn (`pip install 'nb109_clean_sklearn_np_seed[serve]'`). The artifact is loaded once,
before the server listens: a missing or damaged one stops the start with one line on stderr
and exit status 2. Endpoints:

- `POST /predict`: a JSON array of records in, each with the columns of `X`
  as training read them (the fields are built at start-up from the contract `train` learned
  and saved in the artifact); out, the rows `predict()` returns for them, as a JSON array
  of records (floats to 15 significant digits, NaN as null), the artifact's version in the
  `X-Artifact-Version` header.
- `GET /health`: 200 while the artifact is loaded and the service takes requests, else 503.
- `GET /metadata`: the artifact's metadata, and the fields and limits of a request.
- `GET /metrics`: Prometheus text: requests by path and status, latency, rows scored,
  contract violations by field and check, and the drift (PSI) of the batches last recorded
  under the monitoring folder.

A body that is not JSON is a 400. A record that breaks the request contract is a 422 listing
every failing field of every record, as is a batch that breaks the data contract
(contracts.py) or one that cannot become the model's matrix (gate.py). A body over
`--max-body-bytes`, or a batch over `--max-records`, is a 413. Any other failure is a 500
whose body holds only a request id; the traceback goes to the log under that id (each response
carries its id in `X-Request-ID`). The only files written are the drift records `predict`
appends to the monitoring folder (`--monitoring`, monitoring.py).

SIGTERM (or Ctrl+C) stops it gracefully: it stops accepting connections, lets the requests in
flight finish (for `--graceful-timeout` seconds at most) and exits with status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType, GenericAlias
from typing import Annotated, Any

import pandas as pd
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    NaiveDatetime,
    TypeAdapter,
    ValidationError,
    create_model,
)
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nb109_clean_sklearn_np_seed.artifact import Artifact, ArtifactError, load
from nb109_clean_sklearn_np_seed.contracts import ContractError
from nb109_clean_sklearn_np_seed.gate import MatrixError
from nb109_clean_sklearn_np_seed.predict import predict
from nb109_clean_sklearn_np_seed.rows import RowsError

LOG = logging.getLogger("nb109_clean_sklearn_np_seed.serve")
PROG = "nb109_clean_sklearn_np_seed serve"
FRAME = "X"  # the input frame `predict` scores
NAMESPACE = "nb109_clean_sklearn_np_seed"  # of the metrics' names
# The paths metrics are kept for; any other counts as "other".
PATHS = ("/predict", "/health", "/metadata", "/metrics")
PREDICTION = "(prediction)"  # the name the predictions' drift is shown under
RECENT = 20  # monitoring records read for the drift figures: the last batches
TAIL_BYTES = 1 << 20  # read from the end of the newest monitoring file, at most
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


# Each kind of column a learned contract names, as the type of a request's field.
KINDS: dict[str, Any] = {
    "integer": int,
    "float": float,
    "boolean": bool,
    "text": str,
    "category": str,
    "other": JsonValue,
}
RECORD_CONFIG = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


@dataclass(frozen=True, slots=True)
class Requests:
    """What a request holds, built at start-up from what the artifact learned of `X`.

    `record`: the pydantic model of one record. Strict: nothing is coerced ("3" is not a
    number, 1 is not True), NaN and infinity are refused (a missing value is null, where
    training's data held nulls), and a field not listed is refused: a new upstream field is
    a change to look at. `columns`: (JSON key, attribute, dtype) of each field, in the order
    of the frame `predict` receives.
    """

    record: type[BaseModel]
    columns: tuple[tuple[str, str, Any], ...]
    batch: TypeAdapter[list[BaseModel]]

    def types(self) -> dict[str, str]:
        """Each field's type as Python writes it: "float", "str | None"."""
        found = {}
        for key, name, _ in self.columns:
            kind = self.record.model_fields[name].annotation
            found[key] = getattr(kind, "__name__", None) or str(kind)
        return found

    def frame(self, records: Sequence[BaseModel]) -> pd.DataFrame:
        """The records as the frame `predict` receives, column by column in training's dtypes."""
        data = {
            key: [getattr(r, name) for r in records] for key, name, _ in self.columns
        }
        return pd.DataFrame(data).astype({key: dtype for key, _, dtype in self.columns})


def request_model(artifact: Artifact, max_records: int) -> Requests:
    """The request's fields: the columns of the contract `train` learned of `X` (the
    target left out), else the columns the artifact's metadata lists. ArtifactError when
    the artifact records neither."""
    baseline: Any = artifact.objects.get("baseline") or {}
    learned = (baseline.get("contracts") or {}).get(FRAME)
    # label, dtype, kind ("other": values of several types), nulls, values
    columns: list[tuple[str, str, str, bool, list[str] | None]] = []
    if learned:
        optional = set(learned.get("optional", ()))
        for c in learned["columns"]:
            if str(c["label"]) not in optional:
                columns.append(
                    (
                        str(c["label"]),
                        str(c["dtype"]),
                        str(c["kind"]),
                        bool(c["nulls"]),
                        c["values"],
                    )
                )
    else:
        for i in artifact.metadata.inputs.get(FRAME, ()):
            columns.append((i.name, i.dtype, "", i.nulls, None))
    if not columns:
        raise ArtifactError(
            artifact.path, f"it records no column of {FRAME!r} to ask a client for"
        )
    fields: dict[str, Any] = {}
    layout = []
    for position, (label, dtype, found, nulls, values) in enumerate(columns):
        name = (
            f"field_{position}"  # the label is the JSON key (an alias): any text works
        )
        kind, options = _kind(dtype, found)
        fields[name] = (kind | None if nulls else kind, Field(alias=label, **options))
        if dtype == "category" and values is not None:
            layout.append((label, name, pd.CategoricalDtype(values)))
        else:
            layout.append((label, name, dtype))
    record = create_model("Record", __config__=RECORD_CONFIG, **fields)
    # a list of records, no more than max_records of them (too_long: a 413)
    records: Any = GenericAlias(list, (record,))
    limits = Field(min_length=1, max_length=max_records)
    batch: TypeAdapter[list[BaseModel]] = TypeAdapter(Annotated[records, limits])
    return Requests(record, tuple(layout), batch)


def _kind(dtype: str, found: str) -> tuple[Any, dict[str, Any]]:
    """A field's type and Field options, from a column's dtype and the kind of its values."""
    if dtype.startswith("datetime64"):
        # JSON has no time: an ISO 8601 text is one; a zone in the dtype takes aware ones only
        return (AwareDatetime if "," in dtype else NaiveDatetime), {"strict": False}
    if (
        found == "other"
    ):  # values of several types: any JSON value, the contract checks them
        return JsonValue, {}
    if dtype in ("object", "category") or dtype.startswith(("str", "string")):
        return str, {}
    try:
        found = pd.api.types.pandas_dtype(dtype)
    except TypeError:
        return JsonValue, {}
    if pd.api.types.is_bool_dtype(found):
        return bool, {}
    if pd.api.types.is_integer_dtype(found):
        return int, {}
    if pd.api.types.is_float_dtype(found):
        return float, {}
    return JsonValue, {}


@dataclass(frozen=True, slots=True)
class Settings:
    """How the service runs: `python -m nb109_clean_sklearn_np_seed serve --help` lists them."""

    artifact: Path
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1 << 20  # 1 MiB
    max_records: int = 1000
    monitoring: Path = Path("monitoring")
    allow_version_mismatch: bool = False
    # batches scored at once; the others wait their turn, in order. A few: pandas and the
    # monitoring record release the GIL in parts (the demo: +70% requests/s from 1 to 4)
    threads: int = 4
    graceful_timeout: int = 30  # seconds the requests in flight get at shutdown
    access_log: bool = False
    log_level: str = "info"


def create_app(artifact: Artifact, settings: Settings) -> ASGIApp:
    """The service for a loaded artifact, wrapped in the guard every request passes."""
    requests = request_model(artifact, settings.max_records)
    metrics = Metrics(settings.monitoring)
    version = artifact.metadata.version
    state = {"ready": False}
    scoring = ThreadPoolExecutor(settings.threads, thread_name_prefix="predict")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["ready"] = True
        LOG.info("serving artifact %s from %s", version, artifact.path)
        yield
        state["ready"] = False
        scoring.shutdown(wait=True)

    app = FastAPI(
        title="nb109_clean_sklearn_np_seed",
        description=(__doc__ or "").split("\n\n")[0],
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    monitoring = str(settings.monitoring.absolute())

    def run(records: list[BaseModel]) -> str:
        scored = predict(
            requests.frame(records), artifact, source="request", monitoring=monitoring
        )
        metrics.rows.inc(len(scored))
        body = scored.to_json(orient="records", date_format="iso", double_precision=15)
        return str(body)

    @app.post("/predict")
    async def score(request: Request) -> Response:
        """Score a batch of records with the artifact loaded at start-up."""
        try:
            records = requests.batch.validate_json(await request.body())
        except ValidationError as exc:
            return _invalid(
                exc.errors(), _request_id(request), settings, metrics, requests
            )
        # a bounded pool: past it, requests queue in order of arrival
        body = await asyncio.get_running_loop().run_in_executor(scoring, run, records)
        headers = {"X-Artifact-Version": version}
        return Response(body, media_type="application/json", headers=headers)

    @app.get("/health")
    def health() -> JSONResponse:
        """200 while the artifact is loaded and requests are taken, else 503."""
        if not state["ready"]:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready", "artifact": version})

    metadata = {
        "artifact": _plain(asdict(artifact.metadata)),
        "request": {
            "fields": requests.types(),
            "max_records": settings.max_records,
            "max_body_bytes": settings.max_body_bytes,
        },
    }

    @app.get("/metadata")
    def describe() -> JSONResponse:
        """The artifact's metadata, and what a request may hold."""
        return JSONResponse(metadata)

    @app.get("/metrics")
    def scrape() -> Response:
        """Prometheus text exposition of the service's metrics."""
        return Response(
            generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST
        )

    @app.exception_handler(RowsError)
    async def refused_rows(request: Request, exc: RowsError) -> JSONResponse:
        cause = exc.__cause__
        request_id = _request_id(request)
        found = []
        if isinstance(cause, ContractError):  # the data contract (contracts.py)
            for v in cause.violations:
                metrics.violation(v.column, v.check)
                rows = [row for row, _ in v.examples] if v.rows is not None else []
                found.append(_found(v.column, v.check, v.rows, rows))
            head = str(cause).splitlines()[0]
        elif isinstance(cause, MatrixError):  # the model's matrix (gate.py)
            for p in cause.problems:
                metrics.violation(p.column, "matrix")
                rows = [row for row, _ in p.first]
                found.append(_found(p.column, p.problem, p.rows, rows))
            head = str(cause).splitlines()[0]
        elif (
            cause is not None
        ):  # the monitoring record could not be written: ours, not theirs
            LOG.error("internal error, request %s: %s", request_id, exc, exc_info=exc)
            return _error(500, "internal error", request_id)
        else:  # what training saw of the columns (rows.check_input)
            metrics.violation(None, "input")
            head = str(exc)
        return _error(422, head, request_id, violations=found)

    @app.exception_handler(HTTPException)
    async def refused(request: Request, exc: HTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 400:  # the body could not be read as text
            message = f"the body is not valid JSON: {message}"
        return _error(exc.status_code, message, _request_id(request))

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        # the guard logs the traceback under this id: the client learns nothing of the cause
        return _error(500, "internal error", _request_id(request))

    return Guard(app, metrics, settings.max_body_bytes)


def _found(field: str, check: str, rows: int | None, records: list[object]) -> object:
    """A violation of the data contract or the matrix gate, as a 422 lists it."""
    return {"field": field, "check": check, "rows": rows, "records": records}


def _request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def _error(status: int, message: str, request_id: str, **more: object) -> JSONResponse:
    body = {"error": message, "request_id": request_id, **more}
    return JSONResponse(body, status_code=status)


def _invalid(
    errors: Sequence[Any],
    request_id: str,
    settings: Settings,
    metrics: Metrics,
    requests: Requests,
) -> JSONResponse:
    """A request that breaks the request contract: 400 for bad JSON, 413 for too many
    records, else 422 listing every failing field of every record."""
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "decode error")
            return _error(400, f"the body is not valid JSON: {reason}", request_id)
        if error.get("type") == "too_long" and not error.get("loc"):
            limit = f"a batch holds at most {settings.max_records} records"
            return _error(413, limit, request_id)
    known = {key for key, _, _ in requests.columns}
    found = []
    for error in errors:
        loc = list(error.get("loc", ()))
        record = loc[0] if loc and isinstance(loc[0], int) else None
        field = str(loc[1]) if len(loc) > 1 else None
        check = str(error.get("type", "invalid"))
        # a label per field the contract knows: an unknown key must not grow the metrics
        metrics.violation(field if field in known else "(other)", check)
        item: dict[str, object] = {"record": record, "field": field, "check": check}
        item["message"] = str(error.get("msg", ""))
        value = error.get("input")
        if check != "missing" and _scalar(value):
            item["value"] = value
        found.append(item)
    plural = "" if len(found) == 1 else "s"
    message = f"{len(found)} field{plural} break the request contract"
    return _error(422, message, request_id, violations=found)


def _scalar(value: object) -> bool:
    if isinstance(value, str):
        return len(value) <= 100
    if isinstance(value, float):
        return math.isfinite(value)  # a NaN has no JSON form
    return value is None or isinstance(value, (bool, int))


def _plain(value: object) -> object:
    """JSON values of the metadata: tuples as lists, NaN and infinities as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class Metrics:
    """The service's metrics, in a registry of its own."""

    def __init__(self, monitoring: Path) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            f"{NAMESPACE}_requests",
            "HTTP requests answered, by path, method and status",
            ["path", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            f"{NAMESPACE}_request_duration_seconds",
            "Time from a request's arrival to its response's end, by path",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rows = Counter(
            f"{NAMESPACE}_predicted_rows",
            "Rows scored by /predict",
            registry=self.registry,
        )
        self.violations = Counter(
            f"{NAMESPACE}_contract_violations",
            "Fields of requests that broke a contract, by field and check",
            ["field", "check"],
            registry=self.registry,
        )
        self.registry.register(Drift(monitoring))

    def violation(self, field: str | None, check: str) -> None:
        self.violations.labels(field or "(record)", check).inc()

    def observe(self, path: str, method: str, status: int, seconds: float) -> None:
        path = path if path in PATHS else "other"
        self.requests.labels(path, method, str(status)).inc()
        self.latency.labels(path).observe(seconds)


class Drift(Collector):
    """The drift figures of the batches last recorded under the monitoring folder.

    Scoring appends one JSON object per batch to `*.jsonl` files there (monitoring.py); the
    figures come from each record's `psi`, the population stability index of each feature
    of the model's matrix against the training baseline, and its `prediction_psi`, the
    predictions' (under the name PREDICTION). Read at scrape
    time, from the newest file's end; a folder without records gives no figures.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def collect(self) -> Iterable[Metric]:
        records = recent_records(self.folder, RECENT)
        if not records:
            return []
        latest = GaugeMetricFamily(
            f"{NAMESPACE}_drift_psi",
            "PSI against the training baseline in the most recent monitored batch",
            labels=["name"],
        )
        worst = GaugeMetricFamily(
            f"{NAMESPACE}_drift_psi_max",
            f"Largest PSI against the training baseline over the last {RECENT} batches",
            labels=["name"],
        )
        largest: dict[str, float] = {}
        for record in records:
            for name, value in _psi(record).items():
                largest[name] = max(value, largest.get(name, value))
        for name, value in sorted(_psi(records[-1]).items()):
            latest.add_metric([name], value)
        for name, value in sorted(largest.items()):
            worst.add_metric([name], value)
        batches = GaugeMetricFamily(
            f"{NAMESPACE}_drift_batches",
            "Monitored batches the drift figures are read from",
        )
        batches.add_metric([], len(records))
        return [latest, worst, batches]


def recent_records(folder: Path, count: int) -> list[dict[str, Any]]:
    """The last `count` records of the newest `*.jsonl` file under `folder`, oldest first."""
    try:
        files = sorted(
            folder.glob("*.jsonl"), key=lambda p: (p.stat().st_mtime, p.name)
        )
    except OSError:
        return []
    if not files:
        return []
    try:
        with open(files[-1], "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read()
    except OSError:
        return []
    lines = tail.splitlines()
    if size > TAIL_BYTES:
        lines = lines[1:]  # the first line read may be cut
    records = []
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except ValueError:  # a line being written, or damaged: skipped
            continue
        if isinstance(record, dict):
            records.append(record)
            if len(records) == count:
                break
    return records[::-1]


def _psi(record: dict[str, Any]) -> dict[str, float]:
    """A record's PSI per feature, and the predictions' under PREDICTION; a figure
    monitoring could not compute (null) is left out."""
    found = record.get("psi")
    figures = dict(found) if isinstance(found, dict) else {}
    figures[PREDICTION] = record.get("prediction_psi")
    return {
        str(name): float(value)
        for name, value in figures.items()
        if isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    }


class _TooLarge(Exception):
    """The body grew past the limit while it was read."""


class _Gone(Exception):
    """The client disconnected before its body arrived."""


class Guard:
    """Around every request: a request id, the body's size limit, the request metrics, and
    the log line of an internal error."""

    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        request_id = uuid.uuid4().hex
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started, status = True, int(message["status"])
                headers = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        try:
            body = await _read_body(
                receive, _declared_length(scope), self.max_body_bytes
            )
        except _Gone:
            return
        except _TooLarge:
            limit = f"the body is larger than {self.max_body_bytes} bytes"
            await _send_json(
                send_with_id, 413, {"error": limit, "request_id": request_id}
            )
            self.metrics.observe(
                scope["path"], scope["method"], 413, time.perf_counter() - began
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:  # the app waits for the client to go away
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            await self.app(scope, replay, send_with_id)
        except Exception:
            # the app has answered 500 with the id: the details go to the log only
            LOG.exception(
                "internal error, request %s (%s %s)",
                request_id,
                scope["method"],
                scope["path"],
            )
            if not started:
                await _send_json(
                    send_with_id,
                    500,
                    {"error": "internal error", "request_id": request_id},
                )
        finally:
            seconds = time.perf_counter() - began
            self.metrics.observe(scope["path"], scope["method"], status, seconds)


async def _read_body(receive: Receive, declared: int, limit: int) -> bytes:
    """The whole body, or _TooLarge as soon as it (or its declared length) passes `limit`."""
    if declared > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            raise _Gone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _send_json(send: Send, status: int, body: dict[str, object]) -> None:
    data = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


class _Stopped(Exception):
    """SIGTERM or SIGINT, after the server's graceful shutdown (or before it started)."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signal.Signals(signum).name)


def parse_args(argv: Sequence[str] | None = None) -> Settings:
    """Settings from the command line."""
    defaults = Settings(Path("."))
    parser = argparse.ArgumentParser(
        prog=PROG, description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument(
        "--artifact",
        type=Path,
        required=True,
        help="an artifact folder, or a folder of them (the newest is served)",
    )
    parser.add_argument(
        "--host", default=defaults.host, help=f"default: {defaults.host}"
    )
    parser.add_argument(
        "--port", type=int, default=defaults.port, help=f"default: {defaults.port}"
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=defaults.max_body_bytes,
        help=f"largest request body (default: {defaults.max_body_bytes})",
    )
    parser.add_argument(
        "--max-records",
        type=int,
        default=defaults.max_records,
        help=f"largest batch (default: {defaults.max_records})",
    )
    parser.add_argument(
        "--monitoring",
        type=Path,
        default=defaults.monitoring,
        help=f"where scoring records its batches (default: {defaults.monitoring})",
    )
    parser.add_argument(
        "--allow-version-mismatch",
        action="store_true",
        help="serve an artifact made with other library versions, with a warning",
    )
    parser.add_argument(
        "--graceful-timeout",
        type=int,
        default=defaults.graceful_timeout,
        help=f"seconds the requests in flight get at shutdown (default: {defaults.graceful_timeout})",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=defaults.threads,
        help=f"batches scored at once (default: {defaults.threads})",
    )
    parser.add_argument("--access-log", action="store_true", help="log every request")
    parser.add_argument(
        "--log-level",
        default=defaults.log_level,
        choices=["debug", "info", "warning", "error"],
    )
    args = parser.parse_args(argv)
    if min(args.max_body_bytes, args.max_records, args.threads) < 1:
        parser.error("--max-body-bytes, --max-records and --threads must be at least 1")
    return Settings(
        artifact=args.artifact,
        host=args.host,
        port=args.port,
        max_body_bytes=args.max_body_bytes,
        max_records=args.max_records,
        monitoring=args.monitoring,
        allow_version_mismatch=args.allow_version_mismatch,
        threads=args.threads,
        graceful_timeout=args.graceful_timeout,
        access_log=args.access_log,
        log_level=args.log_level,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Load the artifact, then serve it until SIGTERM; 2 when the artifact cannot be used."""
    settings = parse_args(argv)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        artifact = load(
            settings.artifact, allow_version_mismatch=settings.allow_version_mismatch
        )
        app = create_app(artifact, settings)
    except ArtifactError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        access_log=settings.access_log,
        log_level=settings.log_level,
        timeout_graceful_shutdown=settings.graceful_timeout,
        server_header=False,
    )
    server = uvicorn.Server(config)
    # uvicorn handles the signals while it serves, then raises them again: _stop turns that
    # into a clean return (exit 0) instead of death by signal
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)
    try:
        server.run()
    except _Stopped as stopped:
        LOG.info("stopped on %s", stopped)
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
