"""`nb2prod verify` against a plain `papermill` run of the same notebook, side by side.

    .venv/bin/python bench/verify_speed.py [NOTEBOOK ...] [--offline] [--repeat 1]

For each notebook (default: the demo; --offline adds the offline corpus notebooks that run
top to bottom), in a scratch copy of its folder: wall time and peak memory (largest resident
set of any process in the tree, from getrusage of the waited-for children) of
`papermill nb.ipynb out.ipynb`, then of `nb2prod verify nb.ipynb` (fresh run with capture,
the package run beside it, and the second run where outputs differ). Prints a Markdown table
and writes bench/results/verify_speed.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
_MEASURE = (
    "import resource, subprocess, sys, time; start = time.perf_counter(); "
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode; "
    "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
)


def _measure(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=3600,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    seconds, kilobytes, code = done.stdout.split()
    return float(seconds), int(kilobytes) / 1024, int(code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--offline", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts")
    args = parser.parse_args()
    notebooks = list(args.notebooks) or [
        ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
    ]
    if args.offline:
        corpus = ROOT.parent / "shared" / "corpora" / "offline"
        with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
            notebooks += [
                corpus / r["file"]
                for r in csv.DictReader(handle, delimiter="\t")
                if r["run_status"] == "pass"
            ]
    rows = []
    for notebook in notebooks:
        with tempfile.TemporaryDirectory(prefix="nb2prod-bench-") as tmp:
            work = Path(tmp) / "nb"
            shutil.copytree(
                notebook.parent, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
            )
            plain = min(
                (
                    _measure(
                        [
                            str(BIN / "papermill"),
                            "--no-progress-bar",
                            notebook.name,
                            "out.ipynb",
                            "--cwd",
                            str(work),
                        ],
                        work,
                    )
                    for _ in range(args.repeat)
                ),
                key=lambda m: m[0],
            )
            ours = min(
                (
                    _measure([str(BIN / "nb2prod"), "verify", notebook.name], work)
                    for _ in range(args.repeat)
                ),
                key=lambda m: m[0],
            )
        row = {
            "notebook": str(
                notebook.relative_to(ROOT.parent) if ROOT.parent in notebook.parents else notebook
            ),
            "papermill_s": round(plain[0], 2),
            "verify_s": round(ours[0], 2),
            "ratio": round(ours[0] / plain[0], 2),
            "papermill_peak_mb": round(plain[1]),
            "verify_peak_mb": round(ours[1]),
            "memory_ratio": round(ours[1] / plain[1], 2),
            "verify_exit": ours[2],
        }
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    out = ROOT / "bench" / "results" / "verify_speed.json"
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(
        "| notebook | papermill s | verify s | ratio | papermill peak MB | verify peak MB | memory ratio | verify exit |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['notebook']} | {r['papermill_s']} | {r['verify_s']} | {r['ratio']} | {r['papermill_peak_mb']} "
            f"| {r['verify_peak_mb']} | {r['memory_ratio']} | {r['verify_exit']} |"
        )
    if len(rows) > 1:
        ratios = sorted(r["ratio"] for r in rows)
        total = sum(r["verify_s"] for r in rows) / sum(r["papermill_s"] for r in rows)
        print(
            f"\nmedian ratio {ratios[len(ratios) // 2]}, max {ratios[-1]}, "
            f"all notebooks together {total:.2f} (sum of verify times / sum of papermill times)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
