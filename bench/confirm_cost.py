"""The cost of `nb2prod check --confirm` per notebook, against a plain papermill run of it.

    .venv/bin/python bench/confirm_cost.py [NOTEBOOK ...] [--repeat 1] [--timeout 1800]

Default notebooks: the wild notebooks that run offline for which the corpus run
(bench/results/confirm_wild.json, from bench/confirm_corpus.py) ran a kernel, i.e. those
with a finding running can decide; --confirm costs nothing on the others. Each notebook is
measured in a scratch copy of its folder, in the same run and alternately: `papermill
nb.ipynb out.ipynb` (MPLBACKEND=Agg, as nb2prod runs it), `nb2prod check --select NB1`
(static only) and `nb2prod check --select NB1 --confirm`; wall time and peak memory of each
command's process tree, the fastest of --repeat. Each command runs in its own process group,
killed whole after --timeout. Prints a Markdown table, writes bench/results/confirm_cost.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WILD = ROOT.parent / "shared" / "corpora" / "wild"
CORPUS_RESULTS = ROOT / "bench" / "results" / "confirm_wild.json"
RESULTS = ROOT / "bench" / "results" / "confirm_cost.json"
# Runs the command and prints [seconds, peak RSS of its tree in KB, exit code, stderr tail].
_MEASURE = (
    "import json, resource, subprocess, sys, time; start = time.perf_counter(); "
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, "
    "text=True); print(json.dumps([time.perf_counter() - start, "
    "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode, done.stderr[-3000:]]))"
)
_RUNS = re.compile(r"; (\d) runs?, ")


def _measure(cmd: list[str], cwd: Path, timeout: float) -> tuple[float, float, int, str]:
    process = subprocess.Popen(
        [sys.executable, "-c", _MEASURE, *cmd],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return timeout, 0.0, -9, "timed out"
    seconds, kilobytes, code, stderr = json.loads(out)
    return float(seconds), int(kilobytes) / 1024, int(code), str(stderr)


def default_notebooks() -> list[Path]:
    """The wild notebooks the corpus run had to run a kernel for."""
    if not CORPUS_RESULTS.is_file():
        sys.exit(
            f"{CORPUS_RESULTS} is missing: run bench/confirm_corpus.py first, or name notebooks"
        )
    document = json.loads(CORPUS_RESULTS.read_text("utf-8"))
    return [WILD / r["file"] for r in document["notebooks"] if r.get("runs")]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    notebooks = [p.resolve() for p in args.notebooks] or default_notebooks()
    nb2prod = str(BIN / "nb2prod")
    rows: list[dict[str, Any]] = []
    for notebook in notebooks:
        with tempfile.TemporaryDirectory(prefix="nb2prod-ccost-") as tmp:
            work = Path(tmp) / "nb"
            shutil.copytree(
                notebook.parent, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
            )
            commands = {
                "papermill": [
                    str(BIN / "papermill"),
                    "--no-progress-bar",
                    notebook.name,
                    "out.ipynb",
                    "--cwd",
                    str(work),
                ],
                "check": [nb2prod, "check", "--select", "NB1", "--exit-zero", notebook.name],
                "confirm": [
                    nb2prod,
                    "check",
                    "--select",
                    "NB1",
                    "--confirm",
                    "--exit-zero",
                    notebook.name,
                ],
            }
            best: dict[str, tuple[float, float, int, str]] = {}
            for _ in range(args.repeat):
                for name, cmd in commands.items():
                    measured = _measure(cmd, work, args.timeout)
                    if name not in best or measured[0] < best[name][0]:
                        best[name] = measured
        runs = _RUNS.search(best["confirm"][3])
        row = {
            "notebook": str(
                notebook.relative_to(ROOT.parent) if ROOT.parent in notebook.parents else notebook
            ),
            "papermill_s": round(best["papermill"][0], 2),
            "check_s": round(best["check"][0], 2),
            "confirm_s": round(best["confirm"][0], 2),
            "ratio": round(best["confirm"][0] / best["papermill"][0], 2),
            "kernel_runs": int(runs.group(1)) if runs else 0,
            "papermill_peak_mb": round(best["papermill"][1]),
            "confirm_peak_mb": round(best["confirm"][1]),
            "papermill_exit": best["papermill"][2],
            "confirm_exit": best["confirm"][2],
        }
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    ratios = sorted(r["ratio"] for r in rows)
    summary = {
        "notebooks": len(rows),
        "median_ratio": ratios[len(ratios) // 2] if ratios else None,
        "max_ratio": ratios[-1] if ratios else None,
        "total_ratio": round(
            sum(r["confirm_s"] for r in rows) / max(sum(r["papermill_s"] for r in rows), 1e-9), 2
        ),
        "median_ratio_one_run": _median([r["ratio"] for r in rows if r["kernel_runs"] == 1]),
        "median_ratio_two_runs": _median([r["ratio"] for r in rows if r["kernel_runs"] == 2]),
    }
    RESULTS.write_text(
        json.dumps(
            {
                "command": "bench/confirm_cost.py " + " ".join(sys.argv[1:]),
                "cpus": os.cpu_count(),
                "summary": summary,
                "rows": rows,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(
        "| notebook | papermill s | check s | check --confirm s | ratio | kernel runs "
        "| papermill peak MB | confirm peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['notebook']} | {r['papermill_s']} | {r['check_s']} | {r['confirm_s']} "
            f"| {r['ratio']} | {r['kernel_runs']} | {r['papermill_peak_mb']} "
            f"| {r['confirm_peak_mb']} |"
        )
    print(f"\n{json.dumps(summary)}")
    return 0


def _median(values: list[float]) -> float | None:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else None


if __name__ == "__main__":
    sys.exit(main())
