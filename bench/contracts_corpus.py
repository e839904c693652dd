"""The generated packages' data contracts over real notebooks (issue #15, item 7).

    .venv/bin/python bench/contracts_corpus.py [--corpus ../shared/corpora/offline]
                                               [--timeout 300] [--only SUBSTRING]

Per notebook, sequentially, in a scratch copy of its folder under /tmp:

1. `nb2prod convert NB --no-pin --no-verify --out pkg` (static); no `predict.py`: no predict path.
2. `train()` of the package, cwd = the scratch copy (the notebook's own data step), with
   `contracts.profile` watched: the frame the contract is learned from is the notebook's own
   input rows, written as Parquet. An input that is not a DataFrame gets no contract.
3. `python -m pkg predict ROWS.parquet --artifact artifacts --out scored.parquet` (the CLI a
   user runs) on the notebook's own rows (must exit 0), and on three corrupted copies, each of
   which must exit 2 with a message naming the column: a column dropped (the first required
   one), a dtype changed (the first number column as text), values scaled x1000 (the first
   ranged number column with a non-zero value).

Every command has a timeout and runs in its own process group (killed whole on timeout).
Results: bench/results/contracts_corpus.json and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _process import run_group as _run  # noqa: E402

# Run inside the generated package's environment (cwd = the scratch copy): trains, captures
# the frame each contract is learned from, writes it and its corruptions, prints a JSON line.
DRIVER = r"""
import importlib, json, sys
import pandas as pd
package = sys.argv[1]
contracts = importlib.import_module(f"{package}.contracts")
train = importlib.import_module(f"{package}.train")
seen = {}
original = contracts.profile
def watched(frame, optional=()):
    if isinstance(frame, pd.DataFrame):
        seen.setdefault("frame", (frame.copy(), list(optional)))
    else:
        seen.setdefault("other", type(frame).__name__)
    return original(frame, optional)
contracts.profile = watched
train.train(artifacts="artifacts")
out = {"input": seen.get("other")}
if "frame" in seen:
    frame, optional = seen["frame"]
    frame.columns = [str(c) for c in frame.columns]
    frame.to_parquet("rows-own.parquet")
    profile = original(frame, optional)
    cols = [c for c in profile["columns"] if c["label"] not in optional]
    numbers = [c for c in cols if c["kind"] in ("integer", "float")]
    ranged = [
        c for c in numbers
        if c["min"] is not None and max(abs(c["min"]), abs(c["max"])) > 0
    ]
    out.update(input="DataFrame", rows=len(frame), columns=len(frame.columns))
    if cols:
        name = cols[0]["label"]
        frame.drop(columns=[name]).to_parquet("rows-drop.parquet")
        out["drop"] = name
    if numbers:
        name = numbers[0]["label"]
        changed = frame.copy()
        changed[name] = changed[name].astype(str)
        changed.to_parquet("rows-dtype.parquet")
        out["dtype"] = name
    if ranged:
        name = ranged[0]["label"]
        scaled = frame.copy()
        scaled[name] = scaled[name] * 1000
        scaled.to_parquet("rows-scale.parquet")
        out["scale"] = name
    # the contract alone (the package's input check runs first in predict): names the column?
    for kind in ("drop", "dtype", "scale"):
        if kind in out:
            corrupt = pd.read_parquet(f"rows-{kind}.parquet")
            try:
                contracts.validate(corrupt, "input", "error", profile)
                out[kind + "_contract"] = "accepted"
            except contracts.ContractError as exc:
                named = f"'{out[kind]}'" in str(exc)
                out[kind + "_contract"] = "named" if named else "not named: " + str(exc)[:200]
    try:
        contracts.validate(pd.read_parquet("rows-own.parquet"), "input", "error", profile)
        out["own_contract"] = "accepted"
    except contracts.ContractError as exc:
        out["own_contract"] = "refused: " + str(exc)[:200]
print("CONTRACTS_CORPUS " + json.dumps(out))
"""

CORRUPTIONS = ("drop", "dtype", "scale")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if "error" in line.lower():
            return line[:240]
    return lines[-1][:240] if lines else ""


def _error_text(text: str, package: str) -> str:
    """The package's own error (its lines from `PACKAGE: error:` on), else the last line."""
    marker = f"{package}: error:"
    return text[text.index(marker) :].strip() if marker in text else _last_line(text)


def one(notebook: Path, tmp: Path, timeout: float) -> dict[str, Any]:
    record: dict[str, Any] = {}
    scratch = tmp / "nb"
    shutil.copytree(notebook.parent, scratch, ignore=shutil.ignore_patterns("*checkpoints"))
    out = tmp / "pkg"
    cmd = [sys.executable, "-m", "nb2prod", "convert", str(scratch / notebook.name)]
    code, text, _ = _run([*cmd, "--no-pin", "--no-verify", "--out", str(out)], tmp, timeout)
    if code != 0:
        return {"outcome": "not converted", "why": _last_line(text)}
    (src,) = [p for p in (out / "src").iterdir() if (p / "__init__.py").is_file()]
    package = src.name
    record["package"] = package
    if not (src / "predict.py").is_file():
        return {**record, "outcome": "no predict path"}
    env = {**os.environ, "PYTHONPATH": str(out / "src"), "MPLBACKEND": "Agg"}
    code, text, seconds = _run([sys.executable, "-c", DRIVER, package], scratch, timeout, env)
    record["train_seconds"] = round(seconds, 1)
    found = [line for line in text.splitlines() if line.startswith("CONTRACTS_CORPUS ")]
    if code != 0 or not found:
        return {**record, "outcome": "train failed", "why": _last_line(text)}
    info = json.loads(found[-1].split(" ", 1)[1])
    record.update({k: v for k, v in info.items() if k not in CORRUPTIONS})
    if info["input"] != "DataFrame":
        return {**record, "outcome": f"no contract: the input is a {info['input']}"}

    def predict(rows: str) -> tuple[int, str]:
        scored = scratch / "scored.parquet"
        scored.unlink(missing_ok=True)
        args = [sys.executable, "-m", package, "predict", rows, "--artifact", "artifacts"]
        code, text, _ = _run([*args, "--out", str(scored)], scratch, timeout, env)
        return code, text

    code, text = predict("rows-own.parquet")
    record["own_accepted"] = code == 0
    if code != 0:
        record["own_error"] = _error_text(text, package)[:400]
    for kind in CORRUPTIONS:
        column = info.get(kind)
        if column is None:
            record[kind] = "n/a"
            continue
        record[f"{kind}_column"] = column
        code, text = predict(f"rows-{kind}.parquet")
        error = _error_text(text, package)
        named = code == 2 and f"'{column}'" in error
        by = "contract" if "breaks its contract" in error else "input check"
        record[kind] = f"rejected by the {by}, named" if named else f"exit {code}"
        record[kind] += f"; contract alone: {info[kind + '_contract']}"
        record[f"{kind}_error"] = error[:400]
    record["outcome"] = "checked"
    return record


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| notebook | input | own rows | column dropped | dtype changed | x1000 | outcome |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        shape = f"{r['rows']}×{r['columns']}" if r.get("input") == "DataFrame" else "-"
        own = "-" if "own_accepted" not in r else "accepted" if r["own_accepted"] else "**refused**"
        cells = []
        for kind in CORRUPTIONS:
            column = r.get(f"{kind}_column")
            cells.append(f"{r[kind]} (`{column}`)" if column else str(r.get(kind, "-")))
        why = r.get("why", r.get("own_error", ""))
        outcome = r["outcome"] + (f": {why[:90]}" if why else "")
        lines.append(f"| {r['file']} | {shape} | {own} | {' | '.join(cells)} | {outcome} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "offline"
    )
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    with open(args.corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if args.only in r["file"]]
    results = []
    for row in rows:
        with tempfile.TemporaryDirectory(prefix="nb2prod-contracts-") as tmp:
            record = {
                "file": row["file"],
                **one(args.corpus / row["file"], Path(tmp), args.timeout),
            }
        results.append(record)
        print(f"{row['file']}: {record['outcome']}", file=sys.stderr, flush=True)
    out_file = ROOT / "bench" / "results" / "contracts_corpus.json"
    # an --only run replaces its notebooks' records and keeps the others
    kept = json.loads(out_file.read_text()) if out_file.exists() else []
    done = {r["file"] for r in results}
    merged = sorted([r for r in kept if r["file"] not in done] + results, key=lambda r: r["file"])
    out_file.write_text(json.dumps(merged, indent=2) + "\n")
    print(table(merged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
