"""Benchmark the pre-commit path: `nb2prod check NB.ipynb` in a fresh process, beside ruff.

    .venv/bin/python bench/check_single.py [--corpus ../shared/corpora/wild] [--sample 20]
        [--repeat 5] [--notebook PATH ...]

pre-commit runs one `nb2prod check` process per commit with the changed notebooks (default
rules): what it costs is Python's start-up, the imports and the check of one notebook. Each
notebook of an evenly spaced sample of the corpus (or each --notebook) is checked `--repeat`
times by both tools, alternately, so both see the same load; the median per notebook is kept.

Bytecode is measured both ways: "cached" is an installed nb2prod (pip writes the `.pyc` files
when it installs a package, as in pre-commit's environments), "compiled" imports every nb2prod
module from source on every run (what this repository's PYTHONDONTWRITEBYTECODE=1 does).
Issue #12 bounds the cached figure: at most 0.15 s. Results go to bench/results/check_single.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GOAL_SECONDS = 0.15


def _notebooks(corpus: Path) -> list[str]:
    return sorted(str(p) for p in corpus.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system: what a shared machine's load changes least)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _environments(cache: Path) -> dict[str, dict[str, str]]:
    """The environment of each bytecode mode."""
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(cache)  # written once, then read: the repo stays clean
    compiled = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    compiled["PYTHONDONTWRITEBYTECODE"] = "1"
    return {"cached": cached, "compiled": compiled}


def _summary(times: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(times), 3), "max": round(max(times), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "wild")
    parser.add_argument("--sample", type=int, default=20, help="notebooks, evenly spaced")
    parser.add_argument("--repeat", type=int, default=5, help="runs per notebook and tool")
    parser.add_argument("--notebook", action="append", default=[], help="check these instead")
    args = parser.parse_args()
    if args.notebook:
        sample = list(args.notebook)
    elif args.corpus.is_dir():
        files = _notebooks(args.corpus)
        sample = files[:: max(1, len(files) // args.sample)][: args.sample]
    else:
        print(f"corpus {args.corpus} is absent", file=sys.stderr)
        return 2
    ours = [str(BIN / "nb2prod"), "check", "--exit-zero"]
    ruff = [str(BIN / "ruff"), "check", "--no-cache", "--select", "F", "--exit-zero"]
    modes = ("cached", "compiled", "ruff")
    # per mode: the median wall and CPU seconds of each notebook's runs
    walls: dict[str, list[float]] = {mode: [] for mode in modes}
    cpus: dict[str, list[float]] = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory() as cache:
        environments = _environments(Path(cache))
        _run([*ours, sample[0]], environments["cached"])  # writes the bytecode cache
        commands = {
            "cached": (ours, environments["cached"]),
            "compiled": (ours, environments["compiled"]),
            "ruff": (ruff, environments["compiled"]),
        }
        for path in sample:
            runs: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
            for _ in range(args.repeat):
                for mode, (command, env) in commands.items():
                    runs[mode].append(_run([*command, path], env))
            for mode, figures in runs.items():
                walls[mode].append(statistics.median(wall for wall, _ in figures))
                cpus[mode].append(statistics.median(cpu for _, cpu in figures))
            print(
                f"{Path(path).name}: "
                + ", ".join(f"{mode} {walls[mode][-1]:.3f} s" for mode in modes),
                file=sys.stderr,
            )
    names = {
        "cached": "nb2prod check, bytecode cached",
        "compiled": "nb2prod check, compiled each run",
        "ruff": "ruff check --select F",
    }
    wall = {mode: _summary(walls[mode]) for mode in modes}
    cpu = {mode: _summary(cpus[mode]) for mode in modes}
    goal_met = wall["cached"]["median"] <= GOAL_SECONDS
    ratios = {
        mode: round(wall[mode]["median"] / wall["ruff"]["median"], 1)
        for mode in ("cached", "compiled")
        if wall["ruff"]["median"]
    }
    report = {
        "corpus": str(args.corpus) if not args.notebook else None,
        "notebooks": len(sample),
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        # median and max over the notebooks of each notebook's median
        "wall_seconds": {names[mode]: wall[mode] for mode in modes},
        "cpu_seconds": {names[mode]: cpu[mode] for mode in modes},
        "nb2prod_over_ruff": ratios,
        "goal_seconds": GOAL_SECONDS,
        "goal_met": goal_met,
        "sample": [str(Path(p).relative_to(args.corpus)) for p in sample]
        if not args.notebook
        else sample,
    }
    out = ROOT / "bench" / "results" / "check_single.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print("| one notebook, fresh process | wall median s | wall max s | CPU median s |")
    print("|---|---|---|---|")
    for mode in modes:
        print(
            f"| {names[mode]} | {wall[mode]['median']} | {wall[mode]['max']} | {cpu[mode]['median']} |"
        )
    print(
        f"\nnb2prod / ruff (median wall): {ratios}; goal <= {GOAL_SECONDS} s "
        f"(cached bytecode): {'met' if goal_met else 'not met'}"
    )
    print(f"{len(sample)} notebooks x {args.repeat} runs; written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
