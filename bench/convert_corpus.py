"""Convert every notebook of ../shared/corpora/offline and try the packages.

    .venv/bin/python bench/convert_corpus.py [--corpus ../shared/corpora/offline] [--timeout 300]
                                             [--only SUBSTRING]

Per notebook, in a scratch copy of its folder: static conversion time (`nb2prod.api.convert`,
up to the written package); whether the package is ruff-clean (default rules); imports
(`python -c "import pkg.pipeline"`); runs (`python -m pkg`, cwd = the scratch copy,
MPLBACKEND=Agg, a timeout, the process group killed on timeout). Results:
bench/results/convert_corpus.json and a Markdown table on stdout (for docs/corpus.md).
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _process import run_group as _run  # noqa: E402

sys.path.insert(0, str(ROOT))


def _last_error(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error" in line or "error" in line or "Exception" in line:
            return line.strip()[:200]
    return (lines[-1].strip()[:200]) if lines else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "offline"
    )
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    from nb2prod import api

    with open(args.corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if args.only in r["file"]]
    results = []
    for row in rows:
        notebook = args.corpus / row["file"]
        record: dict[str, object] = {
            "file": row["file"],
            "runs_top_to_bottom": row.get("run_status") == "pass",
        }
        with tempfile.TemporaryDirectory(prefix="nb2prod-corpus-") as tmp:
            scratch = Path(tmp) / "nb"
            shutil.copytree(
                notebook.parent, scratch, ignore=shutil.ignore_patterns("*.ipynb_checkpoints")
            )
            copy = scratch / notebook.name
            out = Path(tmp) / "pkg"
            start = time.perf_counter()
            converted = api.convert(str(copy), out)  # static: plan, render, check, write
            if isinstance(converted, api.Failed):
                reason = api.describe(converted)
                record.update(converted=False, reason=reason[:300])
                results.append(record)
                print(f"{row['file']}: not converted: {reason}", file=sys.stderr)
                continue
            record["convert_seconds"] = round(time.perf_counter() - start, 3)
            plan = converted.plan
            env = {**os.environ, "PYTHONPATH": str(out / "src"), "MPLBACKEND": "Agg"}
            # ruff's long-standing default rule set (E4, E7, E9, F), and this ruff's own defaults
            code, text, _ = _run(
                [
                    sys.executable,
                    "-m",
                    "ruff",
                    "check",
                    "--no-cache",
                    "--select",
                    "E4,E7,E9,F",
                    ".",
                ],
                out,
                120,
                env,
            )
            record["ruff_clean"] = code == 0
            if code:
                record["ruff"] = [
                    line for line in text.splitlines() if line[:1].isupper() and ":" not in line[:5]
                ][:5]
            code, text, _ = _run(
                [sys.executable, "-m", "ruff", "check", "--no-cache", "."], out, 120, env
            )
            record["ruff_clean_current_defaults"] = code == 0
            code, text, _ = _run(
                [sys.executable, "-c", f"import {plan.package}.pipeline"], scratch, 120, env
            )
            record["imports"] = code == 0
            if code:
                record["import_error"] = _last_error(text)
            code, text, seconds = _run(
                [sys.executable, "-m", plan.package], scratch, args.timeout, env
            )
            record["runs"] = code == 0
            record["run_seconds"] = round(seconds, 1)
            if code:
                record["run_error"] = _last_error(text)
            record["functions"] = len(plan.functions)
        results.append(record)
        print(
            f"{row['file']}: ruff={record.get('ruff_clean')} imports={record.get('imports')} "
            f"runs={record.get('runs')} {record.get('run_error', '')}",
            file=sys.stderr,
        )
    ok_rows = [r for r in results if r["runs_top_to_bottom"]]
    summary = {
        "notebooks": len(results),
        "converted": sum(1 for r in results if r.get("converted", True)),
        "ruff_clean": sum(1 for r in results if r.get("ruff_clean")),
        "ruff_clean_current_defaults": sum(
            1 for r in results if r.get("ruff_clean_current_defaults")
        ),
        "imports": sum(1 for r in results if r.get("imports")),
        "runs": sum(1 for r in results if r.get("runs")),
        "run_top_to_bottom": len(ok_rows),
        "runs_among_those": sum(1 for r in ok_rows if r.get("runs")),
        "max_convert_seconds": max(
            (float(r.get("convert_seconds", 0)) for r in results), default=0
        ),
    }
    out_file = ROOT / "bench" / "results" / "convert_corpus.json"
    out_file.write_text(json.dumps({"summary": summary, "notebooks": results}, indent=2) + "\n")
    print(
        "| notebook | runs as notebook | converted | ruff E4,E7,E9,F clean | imports | `python -m pkg` runs | reason |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        reason = r.get("reason") or r.get("run_error") or r.get("import_error") or ""
        print(
            f"| {r['file']} | {'yes' if r['runs_top_to_bottom'] else 'no'} | {'yes' if r.get('converted', True) else 'no'} "
            f"| {'yes' if r.get('ruff_clean') else 'no'} | {'yes' if r.get('imports') else 'no'} "
            f"| {'yes' if r.get('runs') else 'no'} | {str(reason).replace('|', '/')[:120]} |"
        )
    print(f"\n{json.dumps(summary)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
