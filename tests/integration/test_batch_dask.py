"""Batch scoring on Dask (issue #16, item 5): `python -m pkg predict 'data/*.parquet' --engine
dask --out out/` on a real `distributed.LocalCluster`.

The demo notebook is converted and trained as in test_train_predict.py. The cluster has workers
with a per-worker memory limit and scores a dataset, generated here, of at least twice that
limit in memory: the demo's applicants resampled, amounts jittered (the input's contract allows
no other column, so the dataset grows by rows: 56 bytes each). The scored
rows must equal the package's own `predict()` run in this process on each file, and no worker
may be restarted or killed for memory. Rows per second with 1 and 2 workers are printed for the
bench (bench/batch_dask.py), not asserted: this machine's other work decides them.

The limit leaves a worker room: one holding distributed is ~66 MB; importing the package
(pandas, pyarrow, scikit-learn, skops, pandera) takes it to ~270 MB, and scoring 50,000-row
partitions to a peak of 400-470 MB, varying from run to run (freed memory is not always given
back to the system). With 600 MB, Dask pauses a worker at 80% (458 MiB): one CI run crossed it,
and a paused worker whose memory is not Dask's own data stays paused for good. The limit is
1 GB, so the dataset is 36 million rows.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")
pytest.importorskip("skops")
pytest.importorskip("pyarrow")
pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

MEMORY_LIMIT = 1_000_000_000  # bytes per worker ("1GB" to Dask)
FILES = 20
ROWS_PER_FILE = 1_800_000  # 36 M rows, 2.02 GB in memory
ROW_GROUP = 50_000
BLOCKSIZE = "1MiB"  # a partition per row group (50,000 rows)
PACKAGE = "credit_approval"


def _python(package: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=900,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "pkg"
    done = subprocess.run(
        [sys.executable, "-m", "nb2prod", "convert", str(DEMO), "--out", str(out), "--no-verify"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / "src" / PACKAGE / "batch.py").is_file()
    assert 'dask = ["dask[dataframe]' in (out / "pyproject.toml").read_text()
    return out


@pytest.fixture(scope="module")
def trained(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(working folder holding the notebook's data/, artifact version folder)."""
    work = tmp_path_factory.mktemp("work")
    done = _python(demo, "train", "--artifacts", str(work / "artifacts"), cwd=work)
    assert done.returncode == 0, done.stderr
    (folder,) = [p for p in (work / "artifacts").iterdir() if p.is_dir()]
    return work, folder


@pytest.fixture(scope="module")
def imported(demo: Path) -> Iterator[Any]:
    """The package imported here (the reference `predict`) and importable by the cluster: the
    scheduler unpickles the tasks, which name the package's functions; the workers run them."""
    source = str(demo / "src")
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = source  # inherited by the cluster's worker processes
    sys.path.insert(0, source)
    try:
        import credit_approval  # type: ignore[import-not-found]

        yield credit_approval
    finally:
        sys.path.remove(source)
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old


def make_rows(applicants: Path, folder: Path, files: int, rows: int) -> int:
    """Parquet files of new applicants (the demo's rows resampled, amounts jittered); returns
    their size in memory, in bytes."""
    base = pd.read_csv(applicants).drop(columns=["default"])
    rng = np.random.default_rng(16)
    folder.mkdir(parents=True, exist_ok=True)
    size = 0
    for i in range(files):
        frame = base.iloc[rng.integers(0, len(base), rows)].reset_index(drop=True)
        frame["applicant_id"] = np.arange(i * rows, (i + 1) * rows, dtype="int64") + 1  # unique
        for column in ("income", "debt", "loan_amount"):
            frame[column] = (frame[column] * rng.uniform(0.9, 1.1, rows)).round(2)
        frame.to_parquet(folder / f"rows-{i:03d}.parquet", row_group_size=ROW_GROUP)
        size += int(frame.memory_usage(deep=True).sum())
    return size


@pytest.fixture(scope="module")
def dataset(trained: tuple[Path, Path]) -> tuple[Path, int]:
    work, _ = trained
    start = time.perf_counter()
    size = make_rows(work / "data" / "applicants.csv", work / "big", FILES, ROWS_PER_FILE)
    disk = sum(p.stat().st_size for p in (work / "big").iterdir())
    print(
        f"\ndataset: {FILES * ROWS_PER_FILE} rows, {size / 1e6:.0f} MB in memory, "
        f"{disk / 1e6:.0f} MB of parquet, made in {time.perf_counter() - start:.1f}s"
    )
    return work / "big", size


def _parts(out: Path) -> Iterator[Any]:
    for part in sorted(out.glob("*.parquet")):
        yield pd.read_parquet(part)


def _take(parts: Iterator[Any], buffer: list[Any], n: int) -> Any:
    """The next n rows of the parts, in order."""
    have = sum(len(f) for f in buffer)
    while have < n:
        frame = next(parts)
        buffer.append(frame)
        have += len(frame)
    rows = pd.concat(buffer, ignore_index=True)
    buffer[:] = [rows.iloc[n:]] if len(rows) > n else []
    return rows.iloc[:n].reset_index(drop=True)


def _as_written(frame: Any) -> Any:
    """The frame as a Parquet part holds it (dtypes as stored, a plain index)."""
    stream = io.BytesIO()
    frame.to_parquet(stream, index=False)
    return pd.read_parquet(io.BytesIO(stream.getvalue()))


def _assert_same_as_predict(imported: Any, inputs: list[Path], folder: Path, *outs: Path) -> int:
    """Each output folder holds, in order, what `predict()` makes of each input file."""
    from credit_approval.artifact import load  # type: ignore[import-not-found]
    from credit_approval.predict import predict  # type: ignore[import-not-found]

    artifact = load(folder)
    streams: list[tuple[Iterator[Any], list[Any]]] = [(_parts(out), []) for out in outs]
    rows = 0
    for path in inputs:
        rows_in = pd.read_parquet(path)
        expected = _as_written(predict(rows_in, artifact, source=str(path), monitoring=None))
        for parts, buffer in streams:
            got = _take(parts, buffer, len(expected))
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
        rows += len(expected)
    for parts, buffer in streams:
        assert not buffer and next(parts, None) is None, "more rows written than read"
    return rows


def _staging(work: Path, out: str) -> list[Path]:
    """The staging folders a run writing `out` left behind (none, unless it was killed)."""
    return sorted(work.glob(f".{out}.*.partial"))


def _peak_memory(client: Any) -> dict[str, int]:
    """Each worker's highest memory use (RSS, bytes) in its own monitor's samples (every
    500 ms, the last hour)."""
    samples = client.run(lambda dask_worker: list(dask_worker.monitor.quantities["memory"]))
    return {worker: max(values) for worker, values in samples.items()}


def _memory_events(client: Any) -> list[str]:
    """Log lines of workers or nannies saying a worker was killed or restarted."""
    lines = []
    for logs in (client.get_worker_logs(nanny=True), client.get_worker_logs()):
        for worker, entries in logs.items():
            for _, message in entries:
                text = message.lower()
                if "restart" in text or "memory budget" in text or "killing" in text:
                    lines.append(f"{worker}: {message}")
    return lines


def test_dask_scores_twice_the_worker_memory_like_predict(
    trained: tuple[Path, Path], dataset: tuple[Path, int], imported: Any, demo: Path
) -> None:
    work, folder = trained
    data, size = dataset
    assert size >= 2 * MEMORY_LIMIT, "the dataset must be at least twice a worker's memory"
    rows = FILES * ROWS_PER_FILE
    throughput = {}
    for workers in (1, 2):
        out = work / f"scored-{workers}"
        with (
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                memory_limit=MEMORY_LIMIT,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            before = set(client.scheduler_info()["workers"])
            start = time.perf_counter()
            done = _python(
                demo,
                "predict",
                str(data / "*.parquet"),
                "--engine",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                "--blocksize",
                BLOCKSIZE,
                "--artifact",
                str(folder),
                "--out",
                str(out),
                cwd=work,
            )
            seconds = time.perf_counter() - start
            assert done.returncode == 0, done.stderr[-3000:]
            assert f"{rows} rows scored" in done.stdout
            # no worker was killed or restarted: the same workers, and no log saying so
            assert set(client.scheduler_info()["workers"]) == before
            assert _memory_events(client) == []
            # each worker loaded the artifact once, whatever number of partitions it scored
            loads = client.run(lambda: dict(sys.modules[f"{PACKAGE}.batch"].LOADS))
            assert sorted(loads) == sorted(before)
            assert all(v == {str(folder): 1} for v in loads.values()), loads
            peak = max(_peak_memory(client).values())
        throughput[workers] = rows / seconds
        print(
            f"\ndask, {workers} worker(s): {rows} rows in {seconds:.1f}s, {rows / seconds:,.0f} "
            f"rows/s; worker memory peak {peak / 1e6:.0f} MB of {MEMORY_LIMIT / 1e6:.0f} MB"
        )
        assert not _staging(work, out.name)
    inputs = sorted(data.glob("*.parquet"))
    start = time.perf_counter()
    outs = (work / "scored-1", work / "scored-2")
    assert _assert_same_as_predict(imported, inputs, folder, *outs) == rows
    print(f"single process predict, compared with both: {time.perf_counter() - start:.1f}s")
    print(f"speed-up 2 workers / 1: {throughput[2] / throughput[1]:.2f}")


@pytest.fixture(scope="module")
def small(trained: tuple[Path, Path]) -> Path:
    work, _ = trained
    make_rows(work / "data" / "applicants.csv", work / "small", 3, 5_000)
    return work / "small"


def test_a_local_cluster_by_default_and_the_output_appears_whole(
    trained: tuple[Path, Path], small: Path, demo: Path, imported: Any
) -> None:
    work, folder = trained
    args = ["predict", str(small / "*.parquet"), "--engine", "dask", "--artifact", str(folder)]
    done = _python(demo, *args, "--workers", "2", "--out", "local-out", cwd=work)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "15000 rows scored" in done.stdout
    assert (
        _assert_same_as_predict(
            imported, sorted(small.glob("*.parquet")), folder, work / "local-out"
        )
        == 15_000
    )
    # an existing output is never mixed with a new one
    again = _python(demo, *args, "--out", "local-out", cwd=work)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        f"{PACKAGE}: error: local-out: already exists and is not an empty folder: nothing written"
    ]


def test_bad_rows_in_one_partition_are_one_line_and_no_output(
    trained: tuple[Path, Path], small: Path, demo: Path
) -> None:
    work, folder = trained
    bad = work / "bad"
    shutil.copytree(small, bad)
    last = sorted(bad.glob("*.parquet"))[-1]
    frame = pd.read_parquet(last)
    frame.loc[[7, 11], "income"] = None  # training had no missing income
    frame.to_parquet(last)
    done = _python(
        demo,
        "predict",
        str(bad / "*.parquet"),
        "--engine",
        "dask",
        "--workers",
        "1",
        "--artifact",
        str(folder),
        "--out",
        "bad-out",
        cwd=work,
    )
    assert done.returncode == 2, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and "'income' has 2 missing value(s)" in lines[0]
        and "partition" in lines[0]
    ), lines
    assert not (work / "bad-out").exists()
    assert not _staging(work, "bad-out")


def test_contracts_and_monitoring_options_reach_every_partition(
    trained: tuple[Path, Path], small: Path, demo: Path
) -> None:
    """--contracts and --monitoring mean what they mean for one file: each partition's
    predict gets them."""
    work, folder = trained
    scaled = work / "scaled"
    shutil.copytree(small, scaled)
    last = sorted(scaled.glob("*.parquet"))[-1]
    frame = pd.read_parquet(last)
    frame.loc[[3, 5, 8], "income"] = frame["income"].max() * 1000  # far above training's
    frame.to_parquet(last)
    args = ["predict", str(scaled / "*.parquet"), "--engine", "dask", "--workers", "1"]
    args += ["--artifact", str(folder)]
    refused = _python(demo, *args, "--out", "scaled-out", cwd=work)
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert "income" in refused.stderr.strip().splitlines()[-1]
    warned = _python(
        demo, *args, "--out", "warned-out", "--contracts", "warn", "--monitoring", "mon", cwd=work
    )
    assert warned.returncode == 0, warned.stderr[-3000:]
    assert "15000 rows scored" in warned.stdout
    records = [
        json.loads(line) for line in (work / "mon" / "batches.jsonl").read_text().splitlines()
    ]
    parts = len(list((work / "warned-out").glob("*.parquet")))
    assert len(records) == parts and sum(r["rows"] for r in records) == 15_000
    flagged = [r for r in records if any(r["out_of_contract"].values())]
    assert len(flagged) == 1, [r["out_of_contract"] for r in records]
    off = _python(
        demo, *args, "--out", "off-out", "--contracts", "off", "--monitoring", "mon-off", cwd=work
    )
    assert off.returncode == 0, off.stderr[-3000:]
    lines = (work / "mon-off" / "batches.jsonl").read_text().splitlines()
    assert not any(any(json.loads(line)["out_of_contract"].values()) for line in lines)


def test_no_such_files_is_one_line(trained: tuple[Path, Path], demo: Path) -> None:
    work, folder = trained
    args = ["predict", "nothing/*.parquet", "--engine", "dask", "--artifact", str(folder)]
    done = _python(demo, *args, "--out", "none-out", cwd=work)
    assert done.returncode == 2
    assert done.stderr.strip() == f"{PACKAGE}: error: nothing/*.parquet: no file matches"


# --engine spark: tests/integration/test_batch_spark.py
