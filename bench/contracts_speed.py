"""What the generated package's data contract and matrix gate cost, and how wide a range is.

Speed (the default): the demo's applicants (sample_notebooks/demo/credit_approval.ipynb,
made by the notebook's own generator) with a text column of four values and a ratio added:
10 columns. A contract is profiled from 2,000 rows (what the notebook saw) and rendered from
templates/contracts.py.j2; a batch of ROWS rows of the same source is then timed, in one run:
- `pandera`: contracts.validate(), lazy, on the clean batch (it passes);
- `pandera-broken`: the same on the batch with 1% of its rows out of range and an unknown
  category: pandera collects every failure case, then the ContractError is built;
- `pandas`: the same checks written by hand in vectorised pandas (dtypes, nulls, ranges,
  categories, uniqueness, columns), the alternative to a library, without its messages;
- `gate`: gate.to_matrix() of the batch's 6 numeric features (templates/gate.py.j2);
- `predict`: predict_proba() of the demo's model (150 trees of depth 3) on that matrix, the
  call the checks guard, so that their share of it can be read.
It prints both messages for the broken batch: pandera's own report and the ContractError.

Margins (`--margins`): for MARGIN in 0.5, 1, 2 and 3, bounds from 2,000 draws (widened by
MARGIN observed spans, never below zero for a never-negative sample) against 30 batches of
100,000 draws of the same distribution: how many pass, and how many are caught when scaled
by 10 or by 1,000 (a change of unit). The demo's own number columns are one of the sources.

    .venv/bin/python bench/contracts_speed.py [--rows N] [--repeat N] [--json FILE]
    .venv/bin/python bench/contracts_speed.py --margins [--json FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "sample_notebooks" / "demo" / "credit_approval.ipynb"
FEATURES = ["income", "debt", "age", "employment_years", "num_late_payments", "loan_amount"]
MARGINS = (0.5, 1.0, 2.0, 3.0)


def _generator() -> Callable[[int, int], Any]:
    """The demo notebook's `generate_applicants`, from its own cell."""
    import numpy as np
    import pandas as pd

    cells = json.loads(DEMO.read_text(encoding="utf-8"))["cells"]
    source = next(
        "".join(c["source"]) for c in cells if "def generate_applicants" in "".join(c["source"])
    )
    namespace: dict[str, Any] = {"np": np, "pd": pd}
    exec(source, namespace)
    generate: Callable[[int, int], Any] = namespace["generate_applicants"]
    return generate


def _applicants(rows: int, seed: int) -> Any:
    import numpy as np

    frame = _generator()(rows, seed)
    rng = np.random.default_rng(seed + 1)
    frame["purpose"] = rng.choice(["car", "education", "home", "other"], rows)
    frame["utilisation"] = rng.beta(2, 5, rows)
    return frame


def _import(file: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _render(folder: Path, seen: Any) -> tuple[Any, Any]:
    from nb2prod.convert.contracts import contracts_context, profile_frame
    from nb2prod.convert.render import render_template

    context = contracts_context(
        package="credit_approval",
        notebook_name="credit_approval.ipynb",
        profiles=[profile_frame(seen, "applicants")],
    )
    (folder / "contracts.py").write_text(render_template("contracts.py.j2", **context.values()))
    (folder / "gate.py").write_text(render_template("gate.py.j2", package="credit_approval"))
    contracts = _import(folder / "contracts.py", "bench_contracts")
    return contracts, _import(folder / "gate.py", "bench_gate")


def _by_hand(seen: Any, margin: float) -> Callable[[Any], list[str]]:
    """The contract's checks in plain pandas: every failing check, by name (no rows)."""
    dtypes = {c: str(t) for c, t in seen.dtypes.items()}
    non_null = [c for c in seen.columns if not seen[c].isna().any()]
    ranges = {}
    for c in ["income", "debt", "age", "employment_years", "num_late_payments", "loan_amount"]:
        low, high = float(seen[c].min()), float(seen[c].max())
        span = (high - low) or abs(high) or 1.0
        lower = low - margin * span
        ranges[c] = (max(0.0, lower) if low >= 0 else lower, high + margin * span)
    ranges["utilisation"] = (0.0, 1.0)
    purposes = sorted(seen["purpose"].unique())

    def check(frame: Any) -> list[str]:
        problems = [f"{c} missing" for c in dtypes if c not in frame.columns]
        problems += [f"{c} new" for c in frame.columns if c not in dtypes]
        for c, dtype in dtypes.items():
            if c in frame.columns and str(frame[c].dtype) != dtype and dtype != "str":
                problems.append(f"{c} dtype")
        for c in non_null:
            if c in frame.columns and frame[c].isna().any():
                problems.append(f"{c} null")
        for c, (low, high) in ranges.items():
            values = frame[c].dropna()
            if ((values < low) | (values > high)).any():
                problems.append(f"{c} range")
        if (~frame["purpose"].isin(purposes)).any():
            problems.append("purpose categories")
        if frame["applicant_id"].duplicated().any():
            problems.append("applicant_id unique")
        return problems

    return check


def _times(work: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def speed(rows: int, repeat: int) -> dict[str, Any]:
    import numpy as np
    from pandera.errors import SchemaErrors
    from sklearn.ensemble import GradientBoostingClassifier

    seen = _applicants(2000, seed=42)
    batch = _applicants(rows, seed=7)
    broken = batch.copy()
    rng = np.random.default_rng(0)
    picked = rng.choice(rows, rows // 100, replace=False)
    broken.loc[picked, "income"] = broken.loc[picked, "income"] * 1000
    broken.loc[picked[:10], "purpose"] = "yacht"
    model = GradientBoostingClassifier(
        n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=42
    ).fit(seen[FEATURES].fillna(0.0).iloc[:1500], seen["default"].iloc[:1500])
    features = batch[FEATURES].fillna(0.0)
    dtypes = [str(t) for t in features.dtypes]
    with tempfile.TemporaryDirectory() as scratch:
        contracts, gate = _render(Path(scratch), seen)
        hand = _by_hand(seen, contracts.MARGIN)
        assert hand(batch) == [], hand(batch)
        contracts.validate(batch, "applicants")  # warm: pandera builds its backends once

        def broken_batch() -> str:
            try:
                contracts.validate(broken, "applicants")
            except contracts.ContractError as exc:
                return str(exc)
            raise AssertionError("the broken batch passed")

        matrix = gate.to_matrix(features, FEATURES, dtypes)
        timed = {
            "pandera": _times(lambda: contracts.validate(batch, "applicants"), repeat),
            "pandera-broken": _times(broken_batch, repeat),
            "pandas": _times(lambda: hand(batch), repeat),
            "gate": _times(lambda: gate.to_matrix(features, FEATURES, dtypes), repeat),
            "predict": _times(lambda: model.predict_proba(matrix), repeat),
        }
        ours = broken_batch()
        try:
            contracts.SCHEMAS["applicants"].validate(broken, lazy=True)
            theirs = ""
        except SchemaErrors as exc:
            theirs = str(exc)
    medians = {k: statistics.median(v) for k, v in timed.items()}
    return {
        "rows": rows,
        "columns": batch.shape[1],
        "repeat": repeat,
        "median_seconds": medians,
        "share_of_predict": {
            k: medians[k] / medians["predict"] for k in ("pandera", "pandas", "gate")
        },
        "messages": {"contract_error": ours, "pandera_report_chars": len(theirs)},
        "pandera_report_head": theirs[:600],
    }


def _sources() -> dict[str, Callable[[Any, int], Any]]:
    demo = _generator()
    sources: dict[str, Callable[[Any, int], Any]] = {
        "normal(50, 10)": lambda rng, n: rng.normal(50, 10, n),
        "uniform": lambda rng, n: rng.uniform(2_000, 40_000, n),
        "exponential": lambda rng, n: rng.exponential(4.0, n),
        "gamma(2, 3)": lambda rng, n: rng.gamma(2.0, 3.0, n),
        "poisson(0.8)": lambda rng, n: rng.poisson(0.8, n).astype(float),
        "lognormal(sigma 0.45)": lambda rng, n: rng.lognormal(10.8, 0.45, n),
        "lognormal(sigma 1)": lambda rng, n: rng.lognormal(0.0, 1.0, n),
    }
    for column in ("income", "debt", "employment_years", "num_late_payments"):
        sources[f"demo {column}"] = _demo_column(demo, column)
    return sources


def _demo_column(demo: Callable[[int, int], Any], column: str) -> Callable[[Any, int], Any]:
    def draw(rng: Any, n: int) -> Any:
        return demo(n, int(rng.integers(1 << 30)))[column].dropna().to_numpy()

    return draw


def margins(batches: int = 30) -> dict[str, Any]:
    import numpy as np

    found: dict[str, dict[str, dict[str, float]]] = {}
    for name, draw in _sources().items():
        rng = np.random.default_rng(0)
        seen = [draw(rng, 2000) for _ in range(batches)]
        new = [draw(rng, 100_000) for _ in range(batches)]
        found[name] = {}
        for margin in MARGINS:
            passed = caught10 = caught1000 = 0
            for sample, batch in zip(seen, new, strict=True):
                low, high = float(sample.min()), float(sample.max())
                span = (high - low) or abs(high) or 1.0
                lower, upper = low - margin * span, high + margin * span
                lower = max(lower, 0.0) if low >= 0 else lower

                def outside(values: Any, lower: float = lower, upper: float = upper) -> bool:
                    return bool(((values < lower) | (values > upper)).any())

                passed += not outside(batch)
                caught10 += outside(batch * 10)
                caught1000 += outside(batch * 1000)
            found[name][str(margin)] = {
                "pass": passed / batches,
                "caught_x10": caught10 / batches,
                "caught_x1000": caught1000 / batches,
            }
    return {"seen_rows": 2000, "batch_rows": 100_000, "batches": batches, "sources": found}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the timed batch")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs of each kind")
    parser.add_argument("--margins", action="store_true", help="measure range margins instead")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        result = margins() if args.margins else speed(args.rows, args.repeat)
    if args.margins:
        print("pass / caught x10 / caught x1000, per MARGIN")
        print(f"{'source':24}" + "".join(f"{m:>18}" for m in MARGINS))
        for name, by_margin in result["sources"].items():
            cells = "".join(
                "{pass:.2f}/{caught_x10:.2f}/{caught_x1000:.2f}".format(**c).rjust(18)
                for c in by_margin.values()
            )
            print(f"{name:24}{cells}")
    else:
        print(f"{result['rows']:,} rows x {result['columns']} columns, median of {args.repeat}")
        for name, seconds in result["median_seconds"].items():
            share = result["share_of_predict"].get(name)
            extra = f"  ({share:.0%} of predict)" if share is not None else ""
            print(f"  {name:15} {seconds * 1000:8.1f} ms{extra}")
        print("\nContractError:\n" + result["messages"]["contract_error"])
        chars = result["messages"]["pandera_report_chars"]
        print(f"\npandera's own report ({chars:,} characters) begins:\n")
        print(result["pandera_report_head"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
