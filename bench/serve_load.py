"""Load on the generated model service, against a minimal hand-written FastAPI endpoint.

The credit demo (sample_notebooks/demo/credit_approval.ipynb) is converted and trained as
tests/integration/test_serve.py does it (`nb2prod convert --no-verify --no-pin`, then
`python -m credit_approval train`), or an existing package is used (--root, --package,
--artifact). Requests are rows of the data the demo trained on, without the target.
Two servers run in turn, each as its own uvicorn process on 127.0.0.1, one worker, no access
log:
- `service`: the generated `python -m <pkg>.serve` (request model, size limits, request ids,
  metrics, error mapping), around the package's `predict()`;
- `minimal`: a hand-written FastAPI endpoint that takes a list of dicts, makes a DataFrame of
  the columns training saw and calls the same `predict()` with the same artifact (which
  appends its monitoring record as the service's does), and returns `to_json` - the least a
  service around the model can do.
Against each, CLIENTS concurrent clients (asyncio + httpx, keep-alive) post batches of
--records records for --seconds seconds after a warm-up; latency is from send to the end of
the response. Reported: p50, p99, throughput (requests/s) and errors (non-200 or transport
failures; must be 0), and the ratio of the service's p99 to the minimal one's (goal <= 1.3).

    .venv/bin/python bench/serve_load.py [--seconds 20] [--clients 50] [--records 1 20]
                                         [--json bench/results/serve_load.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GOAL_P99_RATIO = 1.3
WARMUP_SECONDS = 3.0
MINIMAL = '''\
"""The least a FastAPI service around the model does (the benchmark's baseline)."""
import os
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import FastAPI, Response

from {package}.artifact import load
from {package}.predict import predict

artifact = load(Path(os.environ["BENCH_ARTIFACT"]))
# the columns' dtypes, as a hand-written service would list them: those training saw
_learned = next(iter(artifact.objects["baseline"]["contracts"].values()))
DTYPES = {{
    c["label"]: c["dtype"] for c in _learned["columns"] if c["label"] not in _learned["optional"]
}}
app = FastAPI()


@app.post("/predict")
def score(records: list[dict[str, Any]]) -> Response:
    out = predict(pd.DataFrame(records, columns=list(DTYPES)).astype(DTYPES), artifact)
    return Response(out.to_json(orient="records"), media_type="application/json")
'''


@dataclass(frozen=True)
class Result:
    server: str
    records: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    throughput: float  # requests per second


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(
    command: list[str], env: dict[str, str], cwd: Path, port: int
) -> subprocess.Popen[bytes]:
    import httpx

    process = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}: {' '.join(command)}")
        try:
            httpx.post(f"http://127.0.0.1:{port}/predict", json=[], timeout=1.0)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    _stop(process)
    raise SystemExit("server did not start in 120 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


async def _load(
    url: str, batches: list[list[dict[str, Any]]], clients: int, seconds: float
) -> tuple[list[float], int, float]:
    import httpx

    latencies: list[float] = []
    errors = 0
    bodies = [json.dumps(b).encode() for b in batches]
    headers = {"content-type": "application/json"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:

        async def worker(n: int, until: float, record: bool) -> None:
            nonlocal errors
            i = n
            while time.perf_counter() < until:
                body = bodies[i % len(bodies)]
                i += clients
                began = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if record:
                    latencies.append(time.perf_counter() - began)
                    errors += not ok

        warm = time.perf_counter() + WARMUP_SECONDS
        await asyncio.gather(*(worker(n, warm, False) for n in range(clients)))
        began = time.perf_counter()
        until = began + seconds
        await asyncio.gather(*(worker(n, until, True) for n in range(clients)))
        elapsed = time.perf_counter() - began
    return latencies, errors, elapsed


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def measure(
    name: str,
    url: str,
    batches: list[list[dict[str, Any]]],
    records: int,
    clients: int,
    seconds: float,
) -> Result:
    latencies, errors, elapsed = asyncio.run(_load(url, batches, clients, seconds))
    return Result(
        server=name,
        records=records,
        requests=len(latencies),
        errors=errors,
        seconds=round(elapsed, 2),
        p50_ms=round(_percentile(latencies, 50) * 1000, 2),
        p99_ms=round(_percentile(latencies, 99) * 1000, 2),
        throughput=round(len(latencies) / elapsed, 1),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--records", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--root", type=Path, help="a generated package's folder (holding src/)")
    parser.add_argument("--package", help="its import name (with --root)")
    parser.add_argument("--artifact", type=Path, help="the artifact to serve (with --root)")
    parser.add_argument(
        "--threads", type=int, default=4, help="the service's --threads (its default: 4)"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from tests.integration.test_serve import Built, demo_package, records

    with tempfile.TemporaryDirectory(prefix="serve-load-") as scratch:
        work = Path(scratch)
        if args.root is None:
            built = demo_package(work / "pkg")
        else:
            built = Built(args.root, args.package, args.artifact)
        root, package, artifact = built.root, built.package, built.artifact
        rows = built.inputs()
        (work / "minimal").mkdir()
        (work / "minimal" / "minimal_app.py").write_text(MINIMAL.format(package=package))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(root / "src"), str(work / "minimal")]),
            "BENCH_ARTIFACT": str(artifact),
        }
        results: list[Result] = []
        for size in args.records:
            batches = [records(rows.sample(size, random_state=1000 + i)) for i in range(64)]
            for name in ("service", "minimal"):
                port = _free_port()
                if name == "service":
                    command = [
                        sys.executable,
                        "-m",
                        f"{package}.serve",
                        "--artifact",
                        str(artifact),
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                        "--max-records",
                        str(max(size, 1000)),
                        "--monitoring",
                        str(work / "monitoring-service"),
                        "--threads",
                        str(args.threads),
                    ]
                else:
                    command = [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "minimal_app:app",
                        "--port",
                        str(port),
                        "--no-access-log",
                        "--log-level",
                        "warning",
                    ]
                process = _start(command, env, work, port)
                try:
                    result = measure(
                        name,
                        f"http://127.0.0.1:{port}/predict",
                        batches,
                        size,
                        args.clients,
                        args.seconds,
                    )
                finally:
                    _stop(process)
                results.append(result)
                print(json.dumps(asdict(result)))
    summary: dict[str, Any] = {
        "clients": args.clients,
        "seconds": args.seconds,
        "cpus": os.cpu_count(),
        "service_threads": args.threads,
        "results": [asdict(r) for r in results],
        "p99_ratio": {},
    }
    for size in args.records:
        by = {r.server: r for r in results if r.records == size}
        ratio = by["service"].p99_ms / by["minimal"].p99_ms
        summary["p99_ratio"][str(size)] = round(ratio, 3)
    print(
        textwrap.dedent(
            """
        records  server    requests  errors  p50 ms  p99 ms   req/s"""
        ).strip()
    )
    for r in results:
        print(
            f"{r.records:>7}  {r.server:<8} {r.requests:>9} {r.errors:>7} {r.p50_ms:>7} {r.p99_ms:>7} {r.throughput:>7}"
        )
    for size, ratio in summary["p99_ratio"].items():
        print(f"p99 ratio, {size} record(s) per request: {ratio} (goal <= {GOAL_P99_RATIO})")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    failed = any(r.errors for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
