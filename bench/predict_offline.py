"""The predict path's verdict over every notebook of a corpus that fits a model (issue #14, 8).

    .venv/bin/python bench/predict_offline.py [--corpus offline] [--only SUBSTRING]
                                              [--timeout 300] [--json PATH] [--work DIR]

For each notebook that fits a model (the static fit boundary, `bench/fit_boundary_corpus.py`):
one without a predict slice is listed with the boundary's reason, without running; the others
are copied with their folder to a scratch folder (`--work`, default a new one under /tmp),
converted (`nb2prod convert --no-verify --no-pin`) and verified (`nb2prod verify
--no-second-run --no-confirm --timeout S`), one after the other (the machine is shared). The
`predict path:` line of each is the verdict. Prints the counts and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from fit_boundary_corpus import CORPORA, measure, notebooks  # noqa: E402 - after the path is set

NB2PROD = str(ROOT / ".venv" / "bin" / "nb2prod")
WALL = 1800  # seconds for one notebook's convert and verify together, whatever --timeout says


def run(argv: list[str], cwd: Path, timeout: float) -> tuple[int | None, str]:
    """(exit code or None on timeout, stdout + stderr) of one command in its own session."""
    with subprocess.Popen(
        argv,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    ) as process:
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            import os
            import signal

            os.killpg(process.pid, signal.SIGKILL)
            out, _ = process.communicate()
            return None, out
    return process.returncode, out


def verify_one(path: Path, work: Path, timeout: float) -> dict[str, Any]:
    """Convert and verify a scratch copy of `path`; the predict path's verdict and reason."""
    scratch = work / path.stem
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(path.parent, scratch / path.parent.name)
    copy = scratch / path.parent.name / path.name
    package = scratch / "pkg"
    start = time.perf_counter()
    code, out = run(
        [NB2PROD, "convert", "--no-verify", "--no-pin", "--out", str(package), str(copy)],
        scratch,
        WALL,
    )
    if code != 0:
        last = [line for line in out.splitlines() if line.strip()][-1:] or [f"exit {code}"]
        return {"verdict": "unverified", "reason": "convert failed: " + last[0][:300]}
    if not (package / "src").is_dir() or not list(package.glob("src/*/predict.py")):
        return {"verdict": "unverified", "reason": "the package has no predict.py"}
    argv = [NB2PROD, "verify", "--no-second-run", "--no-confirm", "--timeout", f"{timeout:g}"]
    code, out = run([*argv, str(copy), str(package)], scratch, WALL)
    seconds = round(time.perf_counter() - start, 1)
    if code is None:
        return {"verdict": "unverified", "reason": f"verify timed out ({WALL} s)", "s": seconds}
    line = next((x.strip() for x in out.splitlines() if "predict path:" in x), "")
    if not line:
        tail = [x for x in out.splitlines() if x.strip()][-1:] or [f"exit {code}"]
        return {
            "verdict": "unverified",
            "reason": "no predict line: " + tail[0][:300],
            "s": seconds,
        }
    said = line.split("predict path:", 1)[1].strip()
    verdict = said.split(":", 1)[0].split(" (", 1)[0].strip()
    reason = said.removeprefix(verdict).lstrip(": ")
    return {"verdict": verdict, "reason": reason, "s": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="offline")
    parser.add_argument("--only", default="")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args(argv)
    if not CORPORA.exists():
        print(f"no corpora at {CORPORA}")
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="nb2prod-predict-offline-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for path in notebooks(args.corpus, args.only):
        static = measure(path)
        if static["outcome"] not in ("predict slice", "refused"):
            continue  # fits no model
        row: dict[str, Any] = {"file": static["file"].split("/", 1)[1], "model": static["model"]}
        if static["outcome"] == "refused":
            row.update(verdict="no predict slice", reason=static.get("detail", ""))
        else:
            row.update(verify_one(path, work, args.timeout))
        print(f"{row['file']}: {row['verdict']}: {row['reason']}", file=sys.stderr, flush=True)
        rows.append(row)
    counts = Counter(r["verdict"] for r in rows)
    equivalent = counts["equivalent"]
    print(f"\n## {args.corpus}: {len(rows)} notebooks fit a model")
    print(", ".join(f"{k}: {v}" for k, v in counts.most_common()))
    share = 100 * equivalent / len(rows) if rows else 0.0
    print(f"predict verified (equivalent): {equivalent} of {len(rows)} ({share:.0f}%)\n")
    print("| notebook | model | predict path | why |")
    print("|---|---|---|---|")
    for r in rows:
        reason = r["reason"].replace("|", "/")
        print(f"| {r['file']} | {r['model']} | {r['verdict']} | {reason} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
