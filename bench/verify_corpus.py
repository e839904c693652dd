"""Convert and verify real notebooks; record verdicts and whether the generated tests pass.

    .venv/bin/python bench/verify_corpus.py [--corpus offline|wild] [--timeout 300] [--only SUBSTRING]
                                            [--runnable]

offline: every notebook; `nb2prod convert` (which verifies) into a scratch folder, then the
generated package's own tests. wild: only notebooks the manifest marks `runs_offline`, for the
hidden-state verdicts (NB301/NB302). --runnable: only those that run top to bottom here, the
set tests/corpus/test_verify_corpus.py checks. Results: bench/results/verify_<corpus>.json and
a Markdown table on stdout, with the wall time.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _process import run_group as _run  # noqa: E402

BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("offline", "wild"), default="offline")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--only", default="")
    parser.add_argument("--runnable", action="store_true", help="only notebooks that run here")
    args = parser.parse_args()
    wall = time.perf_counter()
    corpus = ROOT.parent / "shared" / "corpora" / args.corpus
    with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if args.only in r["file"]]
    if args.corpus == "wild":
        rows = [r for r in rows if r["runs_offline"] == "True"]
    if args.runnable:
        rows = [r for r in rows if r["runs_offline"] == "True" and r["run_status"] == "pass"]
    results: list[dict[str, Any]] = []
    for row in rows:
        notebook = corpus / row["file"]
        record: dict[str, Any] = {
            "file": row["file"],
            "runs_top_to_bottom": row["run_status"] == "pass",
        }
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="nb2prod-vcorpus-") as tmp:
            work = Path(tmp) / "nb"
            shutil.copytree(
                notebook.parent, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
            )
            out = Path(tmp) / "pkg"
            code, text, _ = _run(
                [
                    str(BIN / "nb2prod"),
                    "convert",
                    notebook.name,
                    "--out",
                    str(out),
                    "--timeout",
                    "240",
                ],
                work,
                args.timeout,
            )
            record["exit"] = code
            report = out / "nb2prod-report.json"
            verification = (
                json.loads(report.read_text())["verification"]
                if report.is_file() and "verification" in json.loads(report.read_text())
                else None
            )
            if verification:
                record["verdict"] = verification["verdict"]
                record["functions"] = {
                    v: sum(1 for f in verification["functions"] if f["verdict"] == v)
                    for v in ("equivalent", "differs", "unverified")
                }
                codes = [f["code"] for f in verification["findings"]]
                record["hidden_state"] = {
                    c: codes.count(c) for c in ("NB301", "NB302", "NB303", "NB304") if c in codes
                }
                record["first_divergence"] = verification["first_divergence"]
                record["package_error"] = verification["package_error"]
                if (out / "tests").is_dir():
                    env = {**os.environ, "PYTHONPATH": str(out / "src"), "MPLBACKEND": "Agg"}
                    tcode, ttext, _ = _run(
                        [
                            sys.executable,
                            "-m",
                            "pytest",
                            "-q",
                            "-p",
                            "no:cacheprovider",
                            str(out / "tests"),
                        ],
                        out,
                        600,
                        env,
                    )
                    record["generated_tests_pass"] = tcode == 0
                    record["generated_tests"] = (ttext.strip().splitlines() or [""])[-1][:120]
            else:
                record["verdict"] = "not converted" if code == 2 else "error"
                record["reason"] = (text.strip().splitlines() or [""])[-1][:200]
        record["seconds"] = round(time.perf_counter() - start, 1)
        results.append(record)
        print(json.dumps(record), file=sys.stderr, flush=True)
    (ROOT / "bench" / "results" / f"verify_{args.corpus}.json").write_text(
        json.dumps(results, indent=2) + "\n"
    )
    print(
        "| notebook | runs as notebook | verdict | functions eq/differ/unverified | hidden state | generated tests |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        f = r.get("functions") or {}
        fn = (
            f"{f.get('equivalent', 0)}/{f.get('differs', 0)}/{f.get('unverified', 0)}" if f else "—"
        )
        hs = ", ".join(f"{k}×{v}" for k, v in (r.get("hidden_state") or {}).items()) or "—"
        passed = r.get("generated_tests_pass")
        tests = "pass" if passed is True else "FAIL" if passed is False else "—"
        print(
            f"| {r['file']} | {'yes' if r['runs_top_to_bottom'] else 'no'} | {r['verdict']} | {fn} | {hs} | {tests} |"
        )
    ok = [r for r in results if r["runs_top_to_bottom"]]
    print(
        f"\nof {len(ok)} notebooks that run top to bottom: "
        f"{sum(1 for r in ok if r['verdict'] == 'equivalent')} equivalent, "
        f"{sum(1 for r in ok if r['verdict'] == 'equivalent' and r.get('generated_tests_pass'))} equivalent "
        f"with generated tests passing, {sum(1 for r in ok if r['verdict'] == 'differs')} differ; "
        f"wall {time.perf_counter() - wall:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
