"""Benchmark `nb2prod check` against ruff and nbqa+pyflakes on the same notebooks, in one run.

    .venv/bin/python bench/check_throughput.py [--corpus ../shared/corpora/wild] [--repeat 3]

Every tool runs as a command line on the same file list, free to use both cores,
timed by wall clock; the median of --repeat runs is reported (nbqa once: it is slow).
Also times a generated notebook at 500 to 5,000 cells to show cost grows linearly.
Results go to bench/results/check_throughput.json and are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _notebooks(corpus: Path) -> list[str]:
    return sorted(str(p) for p in corpus.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _time(cmd: list[str], repeat: int) -> tuple[float, int]:
    times = []
    code = 0
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        times.append(time.perf_counter() - start)
        code = done.returncode
    return statistics.median(times), code


def _generated(cells: int, folder: Path) -> Path:
    """A notebook of `cells` code cells with realistic data flow between them."""
    body = []
    for i in range(cells):
        source = (
            f"import numpy as np\nvalues_{i} = np.arange({i % 50 + 1})\n"
            if i % 10 == 0
            else f"def step_{i}(x):\n    return [v * {i} for v in x]\n\nvalues_{i} = step_{i}(values_{i - 1})\n"
            f"total_{i} = sum(values_{i})\nprint(total_{i})\n"
        )
        body.append(
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {},
                "execution_count": i + 1,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"{i}\n"]}],
                "source": source,
            }
        )
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": body,
        "metadata": {
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        },
    }
    path = folder / f"generated_{cells}.ipynb"
    path.write_text(json.dumps(nb))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "wild")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-nbqa", action="store_true")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus {args.corpus} is absent", file=sys.stderr)
        return 2
    files = _notebooks(args.corpus)
    size = sum(os.path.getsize(f) for f in files)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(files))
    tools = {
        "nb2prod check": [str(BIN / "nb2prod"), "check", "--exit-zero", *files],
        "ruff check --select F": [
            str(BIN / "ruff"),
            "check",
            "--no-cache",
            "--select",
            "F",
            "--exit-zero",
            *files,
        ],
    }
    if not args.skip_nbqa:
        tools["nbqa pyflakes"] = [str(BIN / "nbqa"), "pyflakes", *files]
    results: dict[str, dict[str, float | int]] = {}
    for name, cmd in tools.items():
        repeat = 1 if name.startswith("nbqa") else args.repeat
        seconds, code = _time(cmd, repeat)
        results[name] = {"seconds": round(seconds, 3), "exit_code": code, "runs": repeat}
        print(f"{name}: {seconds:.2f} s (exit {code})", file=sys.stderr)
    ours = float(results["nb2prod check"]["seconds"])
    # the pre-commit path: one notebook, one process (start-up and imports included)
    sample = files[:: max(1, len(files) // 20)][:20]
    single = {"nb2prod check": [], "ruff check --select F": []}
    for path in sample:
        single["nb2prod check"].append(
            _time([str(BIN / "nb2prod"), "check", "--exit-zero", path], 1)[0]
        )
        single["ruff check --select F"].append(
            _time(
                [str(BIN / "ruff"), "check", "--no-cache", "--select", "F", "--exit-zero", path], 1
            )[0]
        )
    one_notebook = {
        name: {
            "median": round(statistics.median(times), 3),
            "max": round(max(times), 3),
        }
        for name, times in single.items()
    }
    scaling = {}
    with tempfile.TemporaryDirectory() as tmp:
        for cells in (500, 1000, 2000, 5000):
            path = _generated(cells, Path(tmp))
            seconds, _ = _time(
                [str(BIN / "nb2prod"), "check", "--exit-zero", str(path)], args.repeat
            )
            scaling[cells] = round(seconds, 3)
    report = {
        "corpus": str(args.corpus),
        "notebooks": len(files),
        "megabytes": round(size / 1e6, 1),
        "cpus": os.cpu_count(),
        "tools": results,
        "ratios": {name: round(float(r["seconds"]) / ours, 2) for name, r in results.items()},
        # the figure issue #12 bounds (at most 2): our time over ruff's, same files, same run
        "nb2prod_over_ruff": round(ours / float(results["ruff check --select F"]["seconds"]), 2),
        "one_notebook_seconds": one_notebook,
        "one_notebook_sample": len(sample),
        "generated_notebook_seconds": scaling,
    }
    out = ROOT / "bench" / "results" / "check_throughput.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print("| tool | wall s | tool time / nb2prod time |\n|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['seconds']} | {report['ratios'][name]} |")
    print(f"\nnb2prod / ruff --select F: {report['nb2prod_over_ruff']}")
    print(f"one notebook per process, {len(sample)} notebooks (median, max s): {one_notebook}")
    print(
        f"\n{len(files)} notebooks, {report['megabytes']} MB; generated notebook (cells: s): {scaling}"
    )
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
