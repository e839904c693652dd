"""Convert and verify real notebooks; record verdicts and whether the generated tests pass.

    .venv/bin/python bench/verify_corpus.py [--corpus offline|wild|sample] [--timeout 300]
                                            [--only SUBSTRING] [--runnable] [--twice]

offline: every notebook; `nb2prod convert` (which verifies) into a scratch folder, then the
generated package's own tests. wild: only notebooks the manifest marks `runs_offline`, for the
hidden-state verdicts (NB301/NB302). --runnable: only those that run top to bottom here, the
set tests/corpus/test_verify_corpus.py checks. sample: the shipped sample projects (the demo,
and each notebook of sample_notebooks/project converted from the project's root). --twice:
`nb2prod verify` once more after the conversion's own verification, and whether the two agree
on every verdict (the notebook's, each function's and value's, the NB4xx findings). Results:
bench/results/verify_<corpus>.json and a Markdown table on stdout, with the wall time.
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
    parser.add_argument("--corpus", choices=("offline", "wild", "sample"), default="offline")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--only", default="")
    parser.add_argument("--runnable", action="store_true", help="only notebooks that run here")
    parser.add_argument("--twice", action="store_true", help="verify again; compare the verdicts")
    args = parser.parse_args()
    wall = time.perf_counter()
    results: list[dict[str, Any]] = []
    for row in _notebooks(args.corpus, args.only, args.runnable):
        record: dict[str, Any] = {
            "file": row["file"],
            "runs_top_to_bottom": row["run_status"] == "pass",
        }
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="nb2prod-vcorpus-") as tmp:
            work = Path(tmp) / "nb"
            shutil.copytree(row["root"], work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            out = Path(tmp) / "pkg"
            name = row["relative"]
            code, text, _ = _run(
                [str(BIN / "nb2prod"), "convert", name, "--out", str(out), "--timeout", "240"],
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
                if args.twice:
                    report.rename(out / "nb2prod-report.first.json")
                    _run(
                        [str(BIN / "nb2prod"), "verify", name, str(out), "--timeout", "240"],
                        work,
                        args.timeout,
                    )
                    again = claims(out / "nb2prod-report.json")
                    record["second_verdict"] = again.get("verdict", "none")
                    record["same_verdicts"] = again == claims(out / "nb2prod-report.first.json")
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
    if args.twice:
        same = [r for r in results if r.get("same_verdicts")]
        verified = [r for r in results if "same_verdicts" in r]
        print(f"\nverify twice: the same verdicts for {len(same)} of {len(verified)} notebooks")
        for r in verified:
            if not r["same_verdicts"]:
                print(f"- {r['file']}: {r['verdict']} then {r['second_verdict']}")
    ok = [r for r in results if r["runs_top_to_bottom"]]
    print(
        f"\nof {len(ok)} notebooks that run top to bottom: "
        f"{sum(1 for r in ok if r['verdict'] == 'equivalent')} equivalent, "
        f"{sum(1 for r in ok if r['verdict'] == 'equivalent' and r.get('generated_tests_pass'))} equivalent "
        f"with generated tests passing, {sum(1 for r in ok if r['verdict'] == 'differs')} differ; "
        f"wall {time.perf_counter() - wall:.0f} s"
    )
    return 0


def _notebooks(corpus: str, only: str, runnable: bool) -> list[dict[str, Any]]:
    """The notebooks to convert: file (as reported), the folder to copy, the path in it."""
    if corpus == "sample":
        sample = ROOT / "sample_notebooks"
        found = [(sample / "demo", "credit_approval.ipynb")] + [
            (sample / "project", f"notebooks/{p.name}")
            for p in sorted((sample / "project" / "notebooks").glob("*.ipynb"))
        ]
        rows = [
            {
                "file": str((root / rel).relative_to(sample)),
                "root": root,
                "relative": rel,
                "run_status": "pass",
            }
            for root, rel in found
        ]
        return [r for r in rows if only in r["file"]]
    folder = ROOT.parent / "shared" / "corpora" / corpus
    with open(folder / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        manifest = [r for r in csv.DictReader(handle, delimiter="\t") if only in r["file"]]
    if corpus == "wild":
        manifest = [r for r in manifest if r["runs_offline"] == "True"]
    if runnable:
        manifest = [
            r for r in manifest if r["runs_offline"] == "True" and r["run_status"] == "pass"
        ]
    return [
        {
            "file": r["file"],
            "root": (folder / r["file"]).parent,
            "relative": Path(r["file"]).name,
            "run_status": r["run_status"],
        }
        for r in manifest
    ]


def claims(report: Path) -> dict[str, Any]:
    """What a verification claims: its verdict, each function's and value's, its NB4xx findings."""
    if not report.is_file():
        return {}
    verification = json.loads(report.read_text("utf-8")).get("verification") or {}
    return {
        "verdict": verification.get("verdict"),
        "functions": {
            f["function"]: (f["verdict"], {v["name"]: v["verdict"] for v in f["values"]})
            for f in verification.get("functions", ())
        },
        "findings": sorted(
            (f["code"], f["cell"], *f.get("names", ()))
            for f in verification.get("findings", ())
            if f["code"].startswith("NB4")
        ),
    }


if __name__ == "__main__":
    sys.exit(main())
