"""Batch scoring on Spark (issue #16, item 5): `python -m pkg predict 'data/*.parquet' --engine
spark --out out/` on a real local Spark (`local[2]`, the package's `mapInPandas` path).

As test_batch_dask.py: the demo is converted and trained in a tmp folder, new applicants are
generated as Parquet files, and the scored rows must equal the package's own `predict()` run in
this process on the same rows. Each Spark partition is one `predict` call: one contract check
and one drift record in `monitoring/` per partition, and bad rows in one partition are one line
naming the column and the partition, with no output. The command makes its own session: UI off,
bound to 127.0.0.1 (batch.py does that for a local master); the driver gets 512 MB here.

Skipped only when Java or pyspark is missing. A run starts a JVM: about 1 to 2 minutes here.
"""

from __future__ import annotations

import importlib
import importlib.util
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
PACKAGE = "credit_approval"
pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")
pytest.importorskip("skops")
pytest.importorskip("pyarrow")


def _spark_missing() -> str | None:
    if shutil.which("java") is None:
        return "no Java runtime (Debian: default-jre-headless)"
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (the generated package's `spark` extra)"
    return None


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(_spark_missing() is not None, reason=str(_spark_missing())),
]

FILES = 3
ROWS_PER_FILE = 5_000
BLOCKSIZE = "64KiB"  # several partitions per file: the files are ~150 KB of Parquet each


def _python(package: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(package / "src"),
        # a small driver: the JVM takes the rest of its memory from the machine otherwise
        "PYSPARK_SUBMIT_ARGS": "--driver-memory 512m pyspark-shell",
    }
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
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
    assert 'spark = ["pyspark' in (out / "pyproject.toml").read_text()
    return out


@pytest.fixture(scope="module")
def trained(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(working folder holding the notebook's data/ and the new rows, artifact folder)."""
    work = tmp_path_factory.mktemp("work")
    done = _python(demo, "train", "--artifacts", str(work / "artifacts"), cwd=work)
    assert done.returncode == 0, done.stderr
    (folder,) = [p for p in (work / "artifacts").iterdir() if p.is_dir()]
    base = pd.read_csv(work / "data" / "applicants.csv").drop(columns=["default"])
    rng = np.random.default_rng(16)
    (work / "rows").mkdir()
    for i in range(FILES):
        frame = base.iloc[rng.integers(0, len(base), ROWS_PER_FILE)].reset_index(drop=True)
        first = i * ROWS_PER_FILE + 1
        frame["applicant_id"] = np.arange(first, first + ROWS_PER_FILE, dtype="int64")
        for column in ("income", "debt", "loan_amount"):
            frame[column] = (frame[column] * rng.uniform(0.9, 1.1, ROWS_PER_FILE)).round(2)
        frame.to_parquet(work / "rows" / f"rows-{i:03d}.parquet", row_group_size=1_000)
    return work, folder


@pytest.fixture(scope="module")
def imported(demo: Path) -> Iterator[Any]:
    """The package imported here: the reference `predict`."""
    source = str(demo / "src")
    sys.path.insert(0, source)
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(source)
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _records(work: Path) -> list[dict[str, Any]]:
    path = work / "monitoring" / "batches.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _spark_predict(demo: Path, work: Path, folder: Path, rows: str, out: str) -> Any:
    start = time.perf_counter()
    done = _python(
        demo,
        "predict",
        rows,
        "--engine",
        "spark",
        "--scheduler",
        "local[2]",
        "--blocksize",
        BLOCKSIZE,
        "--artifact",
        str(folder),
        "--out",
        out,
        cwd=work,
    )
    print(f"\nspark predict {rows}: {time.perf_counter() - start:.1f}s")
    return done


def test_spark_scores_like_predict_one_record_per_partition(
    trained: tuple[Path, Path], demo: Path, imported: Any
) -> None:
    work, folder = trained
    before = len(_records(work))
    done = _spark_predict(demo, work, folder, str(work / "rows" / "*.parquet"), "spark-out")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = FILES * ROWS_PER_FILE
    assert f"spark-out: {rows} rows scored in " in done.stdout
    assert "Traceback" not in done.stderr and "FutureWarning" not in done.stderr, done.stderr
    parts = sorted((work / "spark-out").iterdir())
    assert len(parts) > FILES, "the blocksize splits each file into several partitions"
    assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(len(parts))]
    assert not [p for p in work.iterdir() if p.name.endswith(".partial")]

    load = importlib.import_module(f"{PACKAGE}.artifact").load
    predict = importlib.import_module(f"{PACKAGE}.predict").predict

    inputs = pd.concat(
        [pd.read_parquet(p) for p in sorted((work / "rows").glob("*.parquet"))],
        ignore_index=True,
    )
    expected = predict(inputs, load(folder), monitoring=None)
    got = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    # Spark has no categorical type: a category column (the demo's age_bucket) comes back as
    # its values' text, the one difference allowed
    categorical = [
        c for c in expected.columns if isinstance(expected[c].dtype, pd.CategoricalDtype)
    ]
    assert categorical == ["age_bucket"]
    for column in categorical:
        expected[column] = expected[column].astype(got[column].dtype)
    assert got["applicant_id"].is_unique and len(got) == rows
    # Spark keeps no order across files: compare by the applicant
    pd.testing.assert_frame_equal(
        got.sort_values("applicant_id").reset_index(drop=True),
        expected.sort_values("applicant_id").reset_index(drop=True),
        check_exact=True,
        check_dtype=True,
    )
    # each partition is its own batch: one drift record each, its rows adding up to the input
    records = _records(work)[before:]
    assert len(records) == len(parts)
    assert sum(r["rows"] for r in records) == rows, records[0]
    assert {r["artifact_version"] for r in records} == {folder.name}, records[0]


def test_bad_rows_in_one_partition_are_one_line_and_no_output(
    trained: tuple[Path, Path], demo: Path
) -> None:
    work, folder = trained
    bad = work / "bad"
    bad.mkdir()
    for path in sorted((work / "rows").glob("*.parquet")):
        shutil.copy(path, bad / path.name)
    last = sorted(bad.glob("*.parquet"))[-1]
    frame = pd.read_parquet(last)
    frame.loc[[7, 11], "income"] = None  # training had no missing income
    frame.to_parquet(last)
    done = _spark_predict(demo, work, folder, str(bad / "*.parquet"), "bad-out")
    assert done.returncode == 2, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith(f"{PACKAGE}: error:")]
    assert len(errors) == 1, done.stderr[-3000:]
    assert "'income' has 2 missing value(s)" in errors[0] and "(partition " in errors[0]
    # the error is the command's last word, and no traceback of the package's is shown (the
    # JVM's start-up lines come first; pyspark's daemon may print a BrokenPipeError of its
    # own when the job's other tasks are cancelled)
    assert done.stderr.strip().splitlines()[-1] == errors[0]
    assert f"{PACKAGE}/" not in done.stderr.replace(errors[0], ""), done.stderr[-3000:]
    assert not (work / "bad-out").exists()
    assert not [p for p in work.iterdir() if p.name.endswith(".partial")]
