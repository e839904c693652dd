"""`check --confirm`, every rule selected, over the wild notebooks that run offline here.

    .venv/bin/python bench/confirm_corpus.py [--jobs 2] [--timeout 120] [--notebook-timeout 1800]
                                             [--only SUBSTRING]

The notebooks are those ../shared/corpora/wild/MANIFEST.tsv marks `runs_offline` True and
`run_status` pass. Each is checked in its own process and process group (killed whole after
--notebook-timeout), from a scratch copy of its folder (nb2prod runs it in a further copy);
--timeout is the per-cell limit of the confirming runs. The child calls `api.check(...,
confirm=ConfirmOptions(show_refuted=True))`, the very call `nb2prod check --confirm
--show-refuted --select NB1` makes, so that the evidence of every verdict is kept too.
Results: bench/results/confirm_wild.json (rewritten after each notebook), per finding: path,
code, cell, names, confirmed, evidence; and a table per rule on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "wild"
RESULTS = ROOT / "bench" / "results" / "confirm_wild.json"


def runnable(only: str = "") -> list[str]:
    """Corpus-relative paths of the notebooks that ran top to bottom here with no network."""
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        r["file"]
        for r in rows
        if r["runs_offline"] == "True" and r["run_status"] == "pass" and only in r["file"]
    ]


def one(notebook: str, out: str, timeout: float) -> int:
    """In the child: check and confirm one notebook, write what it found as JSON to `out`."""
    from nb2prod import api

    with api.session():
        run = api.check(
            [notebook],
            api.CheckRequest(select=("NB1",)),
            jobs=1,
            confirm=api.ConfirmOptions(timeout=timeout, show_refuted=True),
        )
    record: dict[str, Any] = {"failed": None, "findings": []}
    for result in run.results:
        if isinstance(result, api.Failed):
            record["failed"] = f"{result.kind}: {result.message}"
    for c in run.confirmations:
        record.update(
            runs=c.runs,
            run_seconds=round(c.seconds, 2),
            stopped_at=c.stopped_at,
            stop_reason=c.stop_reason,
            notes=list(c.notes),
        )
        record["findings"] = [
            {
                "code": f.code,
                "cell": f.cell,
                "names": list(f.names),
                "related": [r.cell for r in f.related],
                "confirmed": f.confirmed,
                "evidence": evidence,
            }
            for f, evidence in zip(c.findings, c.evidence, strict=True)
        ]
    Path(out).write_text(json.dumps(record), encoding="utf-8")
    return 0


def _measure(file: str, cell_timeout: float, notebook_timeout: float) -> dict[str, Any]:
    """Run the child on a scratch copy of the notebook's folder; kill its group on timeout."""
    source = CORPUS / file
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nb2prod-ccorpus-") as tmp:
        work = Path(tmp) / "nb"
        shutil.copytree(source.parent, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        out = Path(tmp) / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--one",
            source.name,
            str(out),
            "--timeout",
            str(cell_timeout),
        ]
        process = subprocess.Popen(
            command,
            cwd=work,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            text, _ = process.communicate(timeout=notebook_timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # nb2prod, its kernels and their children
            text, _ = process.communicate()
            text += "\n[timed out]"
        record: dict[str, Any] = {"file": file, "exit": process.returncode}
        if out.is_file():
            record.update(json.loads(out.read_text("utf-8")))
        else:
            record["failed"] = (text.strip().splitlines() or ["no result"])[-1][:300]
            record["findings"] = []
    record["seconds"] = round(time.perf_counter() - start, 1)
    for f in record["findings"]:
        f["path"] = file
    return record


def summary(records: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per rule: how many findings running confirmed, refuted, or left undecided."""
    table: dict[str, Counter[str]] = {}
    for record in records:
        for f in record["findings"]:
            verdict = {True: "confirmed", False: "refuted", None: "undecided"}[f["confirmed"]]
            table.setdefault(f["code"], Counter())[verdict] += 1
    return {code: dict(sorted(counts.items())) for code, counts in sorted(table.items())}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="notebooks at once")
    parser.add_argument("--timeout", type=float, default=120, help="per cell, seconds")
    parser.add_argument("--notebook-timeout", type=float, default=1800)
    parser.add_argument("--only", default="")
    parser.add_argument("--one", nargs=2, metavar=("NOTEBOOK", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return one(args.one[0], args.one[1], args.timeout)
    files = runnable(args.only)
    wall = time.perf_counter()
    records: list[dict[str, Any]] = []

    def save(done: bool) -> None:
        document = {
            "command": "nb2prod check --confirm --show-refuted --select NB1 "
            f"--timeout {args.timeout:g} (per notebook)",
            "corpus": "wild: runs_offline True, run_status pass",
            "notebooks_total": len(files),
            "notebooks_done": len(records),
            "complete": done,
            "wall_seconds": round(time.perf_counter() - wall, 1),
            "jobs": args.jobs,
            "summary": summary(records),
            "notebooks": sorted(records, key=lambda r: r["file"]),
        }
        RESULTS.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")

    with ThreadPoolExecutor(args.jobs) as pool:
        futures = [
            pool.submit(_measure, file, args.timeout, args.notebook_timeout) for file in files
        ]
        for future in futures:
            record = future.result()
            records.append(record)
            brief = {k: record.get(k) for k in ("file", "seconds", "runs", "failed", "stopped_at")}
            print(json.dumps({**brief, "findings": len(record["findings"])}), file=sys.stderr)
            save(False)
    save(True)
    print("| rule | confirmed | refuted | undecided |")
    print("|---|---|---|---|")
    for code, counts in summary(records).items():
        print(
            f"| {code} | {counts.get('confirmed', 0)} | {counts.get('refuted', 0)} "
            f"| {counts.get('undecided', 0)} |"
        )
    print(f"\n{len(records)} notebooks, wall {time.perf_counter() - wall:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
