"""Benchmark `nb2prod check` against ruff and nbqa+pyflakes on the same notebooks, in one run.

    .venv/bin/python bench/check_throughput.py [--corpus ../shared/corpora/wild] [--repeat 3]

Every tool runs as a command line on the same file list, free to use both cores, timed by
wall clock and by CPU (user + system, which a shared machine's load changes least); the tools
take turns in each of --repeat rounds and the median is reported (nbqa once: it is slow).
nb2prod runs twice a round: as installed (bytecode cached, as pip leaves a package) and with
every module compiled from source on each start (this repository's PYTHONDONTWRITEBYTECODE=1).
Issue #12 bounds nb2prod's time over ruff's at 2. Also times a generated notebook at 500 to
5,000 cells to show cost grows linearly. Results go to bench/results/check_throughput.json and
are printed as a Markdown table. `bench/check_single.py` measures the one-notebook path.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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
        wall, _, code = _run(cmd)
        times.append(wall)
    return statistics.median(times), code


def _run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, its child processes included), exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.returncode


def _bytecode_cached(cache: Path) -> dict[str, str]:
    """The environment of an installed nb2prod: its bytecode written once, then read."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)  # outside the repository
    return env


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
    ours = [str(BIN / "nb2prod"), "check", "--exit-zero", *files]
    cache = Path(tempfile.mkdtemp(prefix="nb2prod-bytecode-"))
    cached = _bytecode_cached(cache)
    tools: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "nb2prod check": (ours, None),
        "nb2prod check (bytecode cached)": (ours, cached),
        "ruff check --select F": (
            [str(BIN / "ruff"), "check", "--no-cache", "--select", "F", "--exit-zero", *files],
            None,
        ),
    }
    _run([str(BIN / "nb2prod"), "check", "--exit-zero", files[0]], cached)  # writes the cache
    runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in tools}
    for _ in range(args.repeat):  # the tools take turns: each round sees the same load
        for name, (cmd, env) in tools.items():
            runs[name].append(_run(cmd, env))
    if not args.skip_nbqa:
        runs["nbqa pyflakes"] = [_run([str(BIN / "nbqa"), "pyflakes", *files])]
    results: dict[str, dict[str, float | int]] = {}
    for name, figures in runs.items():
        seconds = statistics.median(wall for wall, _, _ in figures)
        results[name] = {
            "seconds": round(seconds, 3),
            "cpu_seconds": round(statistics.median(cpu for _, cpu, _ in figures), 3),
            "exit_code": figures[-1][2],
            "runs": len(figures),
        }
        print(f"{name}: {seconds:.2f} s (exit {figures[-1][2]})", file=sys.stderr)
    ours_seconds = float(results["nb2prod check"]["seconds"])
    ruff_seconds = float(results["ruff check --select F"]["seconds"])
    scaling = {}
    with tempfile.TemporaryDirectory() as tmp:
        for cells in (500, 1000, 2000, 5000):
            generated = _generated(cells, Path(tmp))
            seconds, _ = _time(
                [str(BIN / "nb2prod"), "check", "--exit-zero", str(generated)], args.repeat
            )
            scaling[cells] = round(seconds, 3)
    ratios = {name: round(float(r["seconds"]) / ours_seconds, 2) for name, r in results.items()}
    report = {
        "corpus": str(args.corpus),
        "notebooks": len(files),
        "megabytes": round(size / 1e6, 1),
        "cpus": os.cpu_count(),
        "tools": results,
        "ratios": ratios,
        # the figure issue #12 bounds (at most 2): our time over ruff's, same files, same run
        "nb2prod_over_ruff": round(ours_seconds / ruff_seconds, 2),
        "nb2prod_bytecode_cached_over_ruff": round(
            float(results["nb2prod check (bytecode cached)"]["seconds"]) / ruff_seconds, 2
        ),
        # the same, median of the per-round ratios (each round: both tools under one load)
        "nb2prod_over_ruff_per_round": round(
            statistics.median(
                ours_run[0] / ruff_run[0]
                for ours_run, ruff_run in zip(
                    runs["nb2prod check"], runs["ruff check --select F"], strict=True
                )
            ),
            2,
        ),
        "nb2prod_cpu_over_ruff_cpu": round(
            float(results["nb2prod check"]["cpu_seconds"])
            / float(results["ruff check --select F"]["cpu_seconds"]),
            2,
        ),
        "generated_notebook_seconds": scaling,
    }
    out = ROOT / "bench" / "results" / "check_throughput.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(cache, ignore_errors=True)
    print("| tool | wall s | CPU s | tool time / nb2prod time |\n|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['seconds']} | {r['cpu_seconds']} | {ratios[name]} |")
    print(
        f"\nnb2prod / ruff --select F: {report['nb2prod_over_ruff']} (bytecode cached: "
        f"{report['nb2prod_bytecode_cached_over_ruff']}; median per round: "
        f"{report['nb2prod_over_ruff_per_round']}; CPU: {report['nb2prod_cpu_over_ruff_cpu']})"
    )
    print(
        f"\n{len(files)} notebooks, {report['megabytes']} MB; generated notebook (cells: s): {scaling}"
    )
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
