"""How long `nb2prod pin` (without --check) takes per notebook of ../shared/corpora/wild.

Two numbers per notebook:
- cli: a fresh `python -m nb2prod pin NOTEBOOK` process, as a user or pre-commit runs it
  (interpreter start, imports, kernelspec lookup, the environment query subprocess);
- library: `pin_file` in one process, where the environment query is cached per
  interpreter (what convert and batch runs pay after the first notebook).
The goal is under 1 s per notebook for the cli number.

    .venv/bin/python bench/pin_speed.py [--limit N] [--python PATH] [--skip-cli]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "wild"
GOAL_SECONDS = 1.0


def _files(limit: int | None) -> list[Path]:
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        files = [CORPUS / row["file"] for row in csv.DictReader(handle, delimiter="\t")]
    if limit:
        step = max(1, len(files) // limit)  # spread over every source, not the first folder only
        files = files[::step][:limit]
    return files


def _summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    over = sum(t > GOAL_SECONDS for t in ordered)
    return (
        f"{name:8} n={len(ordered):4}  median={statistics.median(ordered):.3f}s  p95={p95:.3f}s  "
        f"max={ordered[-1]:.3f}s  over {GOAL_SECONDS:.0f}s: {over}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="only N notebooks, spread over the corpus"
    )
    parser.add_argument(
        "--python", default=None, help="interpreter to pin against (default: each kernelspec)"
    )
    parser.add_argument(
        "--skip-cli", action="store_true", help="only the in-process library timing"
    )
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: corpus {CORPUS} is absent", file=sys.stderr)
        return 0
    files = _files(args.limit)
    extra = ["--python", args.python] if args.python else []

    cli: list[float] = []
    crashes: list[str] = []
    slowest = ("", 0.0)
    if not args.skip_cli:
        for path in files:
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "nb2prod", "pin", str(path), "--exit-zero", *extra],
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.perf_counter() - started
            cli.append(elapsed)
            if elapsed > slowest[1]:
                slowest = (str(path.relative_to(CORPUS)), elapsed)
            if done.returncode not in (0, 1):
                crashes.append(f"{path}: exit {done.returncode}: {done.stderr.strip()[-300:]}")

    from nb2prod.pin import pin_file  # imported here so the cli numbers above pay their own imports

    library: list[float] = []
    for path in files:
        started = time.perf_counter()
        try:
            pin_file(str(path), args.python)
        except Exception as exc:
            crashes.append(f"{path}: {type(exc).__name__}: {exc}")
        library.append(time.perf_counter() - started)

    if cli:
        print(_summary("cli", cli))
        print(f"         slowest: {slowest[0]} ({slowest[1]:.3f}s)")
    print(_summary("library", library) + "  (first call includes the environment query)")
    print(f"crashes: {len(crashes)}")
    for line in crashes:
        print("  " + line)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
