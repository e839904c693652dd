"""Batch scoring throughput: the generated package's `predict --engine dask` with 1 and 2 workers,
against its single-process `predict` on the same files (issue #16, item 5).

The demo notebook is converted (`--no-verify`) and trained in a temporary folder; new rows are
the demo's applicants resampled into Parquet files (tests/integration/test_batch_dask.py makes
them the same way). Then, on the same files:
- `single`: the package's `predict()` in one process, file by file (read, score, write);
- `dask-N`: `python -m credit_approval predict 'rows/*.parquet' --engine dask --scheduler ...`
  against a `distributed.LocalCluster` of N workers (one thread each, --memory-limit each),
  cluster start-up excluded, the command's own start-up (imports, artifact, meta) included.
Reported: rows, seconds and rows/s of each, and the ratio against `single`.

    .venv/bin/python bench/batch_dask.py [--files 4] [--rows 1000000] [--memory-limit 1GB]
                                         [--json bench/results/batch_dask.json]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "sample_notebooks" / "demo" / "credit_approval.ipynb"
PACKAGE = "credit_approval"


def _make_rows(applicants: Path, folder: Path, files: int, rows: int) -> None:
    import numpy as np
    import pandas as pd

    base = pd.read_csv(applicants).drop(columns=["default"])
    rng = np.random.default_rng(16)
    folder.mkdir(parents=True)
    for i in range(files):
        frame = base.iloc[rng.integers(0, len(base), rows)].reset_index(drop=True)
        frame["applicant_id"] = np.arange(i * rows, (i + 1) * rows, dtype="int64") + 1  # unique
        for column in ("income", "debt", "loan_amount"):
            frame[column] = (frame[column] * rng.uniform(0.9, 1.1, rows)).round(2)
        frame.to_parquet(folder / f"rows-{i:03d}.parquet", row_group_size=50_000)


def _single(work: Path, source: Path, artifact: Path) -> float:
    """Seconds for the package's predict() over the files, one process, file by file."""
    sys.path.insert(0, str(source))
    import pandas as pd
    from credit_approval.artifact import load  # type: ignore[import-not-found]
    from credit_approval.predict import predict  # type: ignore[import-not-found]

    os.chdir(work)  # its monitoring records go under the scratch folder, as the commands' do
    start = time.perf_counter()
    loaded = load(artifact)
    (work / "single").mkdir()
    for path in sorted((work / "rows").glob("*.parquet")):
        scored = predict(pd.read_parquet(path), loaded, source=str(path))
        scored.to_parquet(work / "single" / path.name, index=False)
    return time.perf_counter() - start


def _dask(
    work: Path, env: dict[str, str], artifact: Path, workers: int, limit: str, blocksize: str
) -> float:
    # distributed's constructors are untyped: used as Any
    distributed: Any = importlib.import_module("distributed")
    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            memory_limit=limit,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        before = set(client.scheduler_info()["workers"])
        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                PACKAGE,
                "predict",
                str(work / "rows" / "*.parquet"),
                "--engine",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                "--blocksize",
                blocksize,
                "--artifact",
                str(artifact),
                "--out",
                str(work / f"dask-{workers}"),
            ],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        if set(client.scheduler_info()["workers"]) != before:
            raise SystemExit(f"dask-{workers}: a worker was restarted (memory?)")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per file")
    parser.add_argument("--memory-limit", default="1GB", help="per Dask worker")
    parser.add_argument("--blocksize", default="1MiB", help="Dask partitions (one row group)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="batch-dask-") as scratch:
        work = Path(scratch)
        package = work / "pkg"
        convert = [sys.executable, "-m", "nb2prod", "convert", str(DEMO), "--no-verify"]
        subprocess.run(
            [*convert, "--out", str(package)],
            check=True,
            capture_output=True,
            timeout=600,
        )
        source = package / "src"
        env = {**os.environ, "PYTHONPATH": str(source)}
        # the scheduler (in this process) unpickles tasks naming the package's functions
        os.environ["PYTHONPATH"] = str(source)
        sys.path.insert(0, str(source))
        train = [sys.executable, "-m", PACKAGE, "train", "--artifacts", "artifacts"]
        subprocess.run(train, cwd=work, env=env, check=True, capture_output=True, timeout=600)
        (artifact,) = [p for p in (work / "artifacts").iterdir() if p.is_dir()]
        _make_rows(work / "data" / "applicants.csv", work / "rows", args.files, args.rows)
        rows = args.files * args.rows
        figures: dict[str, Any] = {"rows": rows, "files": args.files, "cpus": os.cpu_count()}
        figures["memory_limit"] = args.memory_limit
        runs = {"single": _single(work, source, artifact)}
        for workers in (1, 2):
            runs[f"dask-{workers}"] = _dask(
                work, env, artifact, workers, args.memory_limit, args.blocksize
            )
        figures["runs"] = {
            name: {
                "seconds": round(seconds, 2),
                "rows_per_second": round(rows / seconds),
                "vs_single": round(runs["single"] / seconds, 2),
            }
            for name, seconds in runs.items()
        }
    print(f"{rows:,} rows in {args.files} files, {os.cpu_count()} CPUs")
    for name, run in figures["runs"].items():
        print(
            f"{name:>8}: {run['seconds']:7.1f} s  {run['rows_per_second']:>9,} rows/s  "
            f"{run['vs_single']:.2f}x single"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
