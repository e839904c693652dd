"""The fit boundary over real notebooks, statically (nothing is run).

    .venv/bin/python bench/fit_boundary_corpus.py [--corpus offline --corpus wild] [--table]
                                                  [--json PATH] [--only SUBSTRING]

For each Python notebook of ../shared/corpora/<corpus>/MANIFEST.tsv: load, plan (as `convert`
does), and `boundary_of_plan`. Counts per corpus: notebooks, planned, fitting a model (a
boundary), with a predict slice, and the blocking reasons of the others (the first of each
notebook); notes (non-blocking problems) are counted apart. `--table` prints one row per fitting
notebook (model, predict statements, reason). An exception from the boundary is our bug: it is
counted and its traceback printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
sys.path.insert(0, str(ROOT))

from nb2prod.convert.fit import boundary_of_plan  # noqa: E402 - after the path is set
from nb2prod.convert.plan import make_plan  # noqa: E402
from nb2prod.convert.production import production  # noqa: E402
from nb2prod.core.errors import InputError  # noqa: E402
from nb2prod.notebook.load import load  # noqa: E402

# When a notebook has several blocking problems, the one counted is the most fundamental.
PRIORITY = [
    "cross-validation-only",
    "cannot-score-new-rows",
    "fit-in-function",
    "fit-in-loop",
    "unnamed-fit",
    "no-input",
    "target-by-position",
    "target-in-features",
    "reads-training-data",
]


def notebooks(corpus: str, only: str) -> list[Path]:
    folder = CORPORA / corpus
    with open(folder / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        folder / r["file"]
        for r in rows
        if r.get("language", "python").lower() in ("python", "")
        and only in r["file"]
        and (folder / r["file"]).exists()
    ]


def measure(path: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"file": str(path.relative_to(CORPORA))}
    try:
        plan = make_plan(load(str(path)))
    except InputError as exc:
        row["outcome"] = f"not planned: {type(exc).__name__}"
        return row
    start = time.perf_counter()
    try:
        boundary = boundary_of_plan(plan)
    except Exception:  # our bug: show it, keep measuring
        row["outcome"] = "crash"
        row["traceback"] = traceback.format_exc()
        return row
    row["seconds"] = round(time.perf_counter() - start, 3)
    if boundary is None:
        row["outcome"] = "no model"
        return row
    model = boundary.model
    row["model"] = f"{model.name}: {model.api.rsplit('.', 1)[-1] or '?'}" if model else "-"
    row["fitted"] = [f.name for f in boundary.fitted]
    row["predict"] = len(boundary.predict)
    row["train"] = len(boundary.train)
    row["notes"] = [p.kind.value for p in boundary.problems if not p.blocking]
    blocking = sorted(boundary.blocking, key=lambda p: PRIORITY.index(p.kind.value))
    made = production(boundary)  # what convert generates: predict.py or not, and why
    if made is not None and made.predict:
        row["outcome"] = "predict slice"
    else:
        row["outcome"] = "refused"
        if blocking:
            row["reason"], row["detail"] = blocking[0].kind.value, str(blocking[0])
        elif len(boundary.inputs) > 1:  # a note of the boundary's, a refusal of convert's
            row["reason"] = "several-inputs"
            row["detail"] = made.reasons[-1] if made is not None and made.reasons else ""
        else:
            row["reason"], row["detail"] = "empty", ""
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", choices=["offline", "wild"])
    parser.add_argument("--only", default="")
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not CORPORA.exists():
        print(f"no corpora at {CORPORA}")
        return 0
    rows: list[dict[str, Any]] = []
    for corpus in args.corpus or ["offline", "wild"]:
        found = [measure(p) for p in notebooks(corpus, args.only)]
        rows += found
        outcomes = Counter(r["outcome"] for r in found)
        fitting = [r for r in found if r["outcome"] in ("predict slice", "refused")]
        reasons = Counter(r["reason"] for r in found if r["outcome"] == "refused")
        notes = Counter(n for r in fitting for n in dict.fromkeys(r["notes"]))
        planned = len(found) - sum(v for k, v in outcomes.items() if k.startswith("not planned"))
        print(f"\n## {corpus}: {len(found)} notebooks, {planned} planned")
        print(
            f"fit a model: {len(fitting)}; predict slice: {outcomes['predict slice']}; "
            f"refused: {outcomes['refused']}; no model: {outcomes['no model']}; "
            f"crash: {outcomes['crash']}"
        )
        for reason, count in reasons.most_common():
            print(f"  refused, {reason}: {count}")
        for note, count in notes.most_common():
            print(f"  note, {note}: {count} notebooks")
        for r in found:
            if r["outcome"] == "crash":
                print(f"CRASH {r['file']}\n{r['traceback']}")
        if args.table:
            print("\n| notebook | model | predict | train | outcome |")
            print("|---|---|---|---|---|")
            for r in fitting:
                outcome = r.get("detail") or "predict slice" + (
                    f" ({', '.join(dict.fromkeys(r['notes']))})" if r["notes"] else ""
                )
                print(
                    f"| {r['file'].split('/', 1)[1]} | {r['model']} | {r['predict']} | "
                    f"{r['train']} | {outcome.replace('|', '/')} |"
                )
    slowest = max((r.get("seconds", 0.0) for r in rows), default=0.0)
    print(f"\nslowest boundary: {slowest:.3f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
