"""What seeing the project costs a `nb2prod verify` run: overlay view against copying the project.

    .venv/bin/python bench/project_view.py [--size-gb 2] [--repeat 3] [--keep]

Builds a project in a scratch folder (cookiecutter-data-science layout): `data/raw/big.bin`
(--size-gb of real bytes, written, not sparse), a small `data/raw/x.csv`, and
`notebooks/nb.ipynb`, which reads `../data/raw/x.csv` and writes `../data/processed/y.csv`.
Then runs `nb2prod verify notebooks/nb.ipynb` (the notebook's fresh run and the generated
package's run, each in a view of the project) in three ways, alternately, each in its own
TMPDIR:

- overlay: the default on Linux (an overlay mount in a user and mount namespace);
- copy: NB2PROD_NO_OVERLAY=1 with the copy limit lifted, so each run copies the project,
  which is what a copy-based view of this project costs;
- copy-limited: NB2PROD_NO_OVERLAY=1 with the default copy limit (200 MB): the project is too
  large to copy, the run gets the notebook's folder only and the verdict is "unverified".

For each: wall seconds, the verdict, and the peak disk used in TMPDIR (sampled every 50 ms
as the allocated blocks of every file under it; the copies of the notebook and package runs
exist at the same time). Prints a table and writes bench/results/project_view.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._process import run_group  # noqa: E402 (the repository root is put on sys.path first)

# Runs `nb2prod verify`, after lifting the copy limit when asked (argv[1]: "1" lifts it).
_VERIFY = """\
import sys
from nb2prod.verify import sandbox
if sys.argv[1] == "1":
    sandbox.COPY_LIMIT_BYTES = 1 << 62
from nb2prod.cli import main
sys.exit(main(["verify", *sys.argv[2:]]))
"""
MODES = {
    "overlay": ({}, "0"),
    "copy": ({"NB2PROD_NO_OVERLAY": "1"}, "1"),
    "copy-limited": ({"NB2PROD_NO_OVERLAY": "1"}, "0"),
}


def _notebook() -> dict[str, object]:
    def cell(index: int, source: str, text: str) -> dict[str, object]:
        return {
            "cell_type": "code",
            "id": f"c{index}",
            "metadata": {},
            "execution_count": index + 1,
            "source": source,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": text}],
        }

    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": [
            cell(
                0,
                "import pandas as pd\nraw = pd.read_csv('../data/raw/x.csv')\nprint(len(raw))",
                "3\n",
            ),
            cell(
                1,
                "features = raw.assign(total=raw.a + raw.b)\n"
                "features.to_csv('../data/processed/y.csv', index=False)\n"
                "print(features.total.sum())",
                "21\n",
            ),
        ],
    }


def build(project: Path, size_gb: float) -> None:
    """The project: real bytes in data/raw/big.bin (a copy has to read and write all of them)."""
    for folder in ("notebooks", "data/raw", "data/processed"):
        (project / folder).mkdir(parents=True, exist_ok=True)
    (project / "data" / "raw" / "x.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    (project / "notebooks" / "nb.ipynb").write_text(json.dumps(_notebook(), indent=1))
    big = project / "data" / "raw" / "big.bin"
    size = int(size_gb * 2**30)
    if not big.is_file() or big.stat().st_size != size:
        chunk = os.urandom(2**20)  # random: no file system can store it as holes or compress it
        with open(big, "wb") as handle:
            for _ in range(size // len(chunk)):
                handle.write(chunk)
            handle.write(chunk[: size % len(chunk)])
            handle.flush()
            os.fsync(handle.fileno())


def _allocated(folder: Path) -> int:
    total = 0
    for here, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(here, name)).st_blocks * 512
            except OSError:
                continue
    return total


def measure(project: Path, mode: str, scratch: Path) -> dict[str, object]:
    env_extra, lift = MODES[mode]
    tmpdir = scratch / f"tmp-{mode}"
    shutil.rmtree(tmpdir, ignore_errors=True)
    tmpdir.mkdir(parents=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _allocated(tmpdir))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    env = {**os.environ, "TMPDIR": str(tmpdir), "MPLBACKEND": "Agg", **env_extra}
    code, out, seconds = run_group(
        [sys.executable, "-c", _VERIFY, lift, "notebooks/nb.ipynb", "--no-second-run"],
        cwd=project,
        timeout=1800,
        env=env,
    )
    done.set()
    sampler.join()
    # the CLI's verdict line: "notebooks/nb.ipynb: EQUIVALENT ..." (or NOT EQUIVALENT, UNVERIFIED)
    found = re.search(r"nb\.ipynb: (NOT EQUIVALENT|EQUIVALENT|UNVERIFIED|DIFFERS)", out)
    verdict = found.group(1) if found else None
    if verdict is None:
        raise SystemExit(f"nb2prod verify ({mode}) gave no verdict, exit {code}:\n{out[-3000:]}")
    shutil.rmtree(tmpdir, ignore_errors=True)
    return {
        "mode": mode,
        "seconds": round(seconds, 2),
        "exit": code,
        "verdict": verdict,
        "peak_disk_mb": round(peak[0] / 2**20, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the median counts")
    parser.add_argument("--where", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--keep", action="store_true", help="keep the project (and big.bin)")
    args = parser.parse_args()
    scratch = args.where / "nb2prod-bench-project-view"
    project = scratch / "project"
    started = time.perf_counter()
    build(project, args.size_gb)
    print(f"project built in {time.perf_counter() - started:.1f} s: {project}", flush=True)
    before = {p: p.stat().st_mtime_ns for p in project.rglob("*") if p.is_file()}
    runs: dict[str, list[dict[str, object]]] = {mode: [] for mode in MODES}
    try:
        for _ in range(args.repeat):
            for mode in MODES:  # alternately: a slow moment of the machine hits every mode
                result = measure(project, mode, scratch)
                print(result, flush=True)
                runs[mode].append(result)
        untouched = before == {p: p.stat().st_mtime_ns for p in project.rglob("*") if p.is_file()}
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    summary = []
    for mode, results in runs.items():
        summary.append(
            {
                "mode": mode,
                "seconds_median": round(
                    statistics.median(float(str(r["seconds"])) for r in results), 2
                ),
                "seconds": [r["seconds"] for r in results],
                "peak_disk_mb_median": round(
                    statistics.median(float(str(r["peak_disk_mb"])) for r in results), 1
                ),
                "verdicts": sorted({str(r["verdict"]) for r in results}),
            }
        )
    report = {
        "project": f"data/raw/big.bin {args.size_gb:g} GB of random bytes + data/raw/x.csv; "
        "notebooks/nb.ipynb reads ../data/raw/x.csv, writes ../data/processed/y.csv",
        "command": "nb2prod verify notebooks/nb.ipynb --no-second-run (cwd: the project)",
        "rounds": args.repeat,
        "project_untouched": untouched,
        "results": summary,
    }
    print("\n| mode | seconds (median) | peak scratch disk MB | verdict |")
    print("|---|---|---|---|")
    for row in summary:
        print(
            f"| {row['mode']} | {row['seconds_median']} | {row['peak_disk_mb_median']} | "
            f"{', '.join(map(str, row['verdicts']))} |"
        )
    out = ROOT / "bench" / "results" / "project_view.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
