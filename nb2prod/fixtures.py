"""Golden tests that carry real data: captured inputs, sampled, and the outputs on that sample.

For each generated function, its arguments are taken from the fresh notebook run (the values
its producers returned there), DataFrames and arrays are cut to a few rows, and the function
(whose body is the notebook's own statements, as the static check proved) is run on that
sample; inputs and outputs are pickled under `tests/fixtures/`, and `tests/test_golden.py`
replays them. If a function cannot run on the sample (too few rows for a split, say), the
full inputs are used when small enough, else the function gets no golden test and the report
says why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from nb2prod.plan import Plan

MAX_ROWS = 200
MAX_FULL_BYTES = 2_000_000

_SCRIPT = r'''
import importlib, json, os, pickle, sys
import random
random.seed(0)
try:
    import numpy as np
    np.random.seed(0)
except ImportError:
    np = None

CAPTURED, OUT, SPEC, MAX_ROWS, MAX_FULL = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
package = SPEC["package"]
values = {}
for name in os.listdir(CAPTURED):
    if name.endswith(".pkl"):
        with open(os.path.join(CAPTURED, name), "rb") as handle:
            stored = pickle.load(handle)
        loaded = {}
        for key, blob in stored.items():
            try:
                loaded[key] = pickle.loads(blob) if isinstance(blob, bytes) else blob
            except Exception as exc:
                loaded[key] = "__nb2prod_uncapturable__: " + str(exc)
        values[name[:-4]] = loaded
config_module = importlib.import_module(package + ".config")


def sample(value):
    try:
        import pandas as pd
        if isinstance(value, (pd.DataFrame, pd.Series)) and len(value) > MAX_ROWS:
            return value.head(MAX_ROWS)
    except ImportError:
        pass
    if np is not None and isinstance(value, np.ndarray) and value.ndim >= 1 and len(value) > MAX_ROWS:
        return value[:MAX_ROWS]
    return value


report = {}
for fn in SPEC["functions"]:
    name, module, params, returns, producers = fn["name"], fn["module"], fn["params"], fn["returns"], fn["producers"]
    if not returns:
        report[name] = "returns nothing"
        continue
    try:
        args = {p: values[producers[p]][p] for p in params}
    except KeyError as exc:
        report[name] = f"input {exc} was not captured"
        continue
    if any(isinstance(v, str) and v.startswith("__nb2prod_") for v in args.values()):
        report[name] = "an input could not be captured"
        continue
    func = getattr(importlib.import_module(f"{package}.{module}"), name)
    uses_config = fn["config"]
    outcome = None
    for label, inputs in (("sample", {k: sample(v) for k, v in args.items()}), ("full", args)):
        if label == "full" and len(pickle.dumps(args)) > MAX_FULL:
            break
        try:
            frozen = pickle.dumps(inputs)  # before the call: functions may change their arguments in place
            call = pickle.loads(frozen)
            random.seed(0)
            if np is not None:
                np.random.seed(0)
            result = func(*[call[p] for p in params], *( [config_module.Config()] if uses_config else []))
            outputs = dict(zip(returns, result if len(returns) > 1 else (result,)))
            pickle.dumps(outputs)
            outcome = (label, frozen, outputs)
            break
        except Exception as exc:
            report[name] = f"could not run on the {label} inputs: {type(exc).__name__}: {exc}"[:300]
    if outcome is None:
        continue
    label, inputs, outputs = outcome
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    contracts, edges = {}, {}
    if fn["role"] in ("data", "features"):
        try:
            import pandas as pd
        except ImportError:
            pd = None
        for p in params:
            value = args[p]
            if pd is None or not isinstance(value, pd.DataFrame) or value.empty:
                continue
            contract = {"columns": [str(c) for c in value.columns],
                        "dtypes": {str(c): str(t) for c, t in value.dtypes.items()},
                        "non_null": [str(c) for c in value.columns if not value[c].isna().any()],
                        "non_negative": [], "ratio": []}
            for c in value.columns:
                column = value[c]
                if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column) and len(column.dropna()):
                    low, high = float(column.min()), float(column.max())
                    if low >= 0:
                        contract["non_negative"].append(str(c))
                    if low >= 0 and high <= 1 and pd.api.types.is_float_dtype(column):
                        contract["ratio"].append(str(c))
            contracts[p] = contract
            if fn["role"] == "features":
                call = pickle.loads(frozen)
                call[p] = call[p].iloc[0:0]
                try:
                    result = func(*[call[q] for q in params], *([config_module.Config()] if uses_config else []))
                    got = dict(zip(returns, result if len(returns) > 1 else (result,)))
                    edges[p] = {"returns_columns": {k: [str(c) for c in v.columns] for k, v in got.items()
                                                    if isinstance(v, pd.DataFrame)}}
                except Exception as exc:
                    edges[p] = {"raises": type(exc).__name__}
    if contracts:
        with open(os.path.join(folder, "contracts.json"), "w") as handle:
            json.dump(contracts, handle, indent=1)
    if edges:
        with open(os.path.join(folder, "empty_input.json"), "w") as handle:
            json.dump(edges, handle, indent=1)
    with open(os.path.join(folder, "inputs.pkl"), "wb") as handle:
        handle.write(inputs)
    with open(os.path.join(folder, "outputs.pkl"), "wb") as handle:
        pickle.dump(outputs, handle)
    report[name] = "golden test on " + label + " inputs"
print(json.dumps(report))
'''


def write_golden_tests(plan: Plan, captured_dir: Path, package_dir: Path, workdir: Path,
                       only: set[str] | None = None) -> dict[str, str]:
    """Write fixtures and tests/test_golden.py into the package; return, per function, what was done.

    Only functions verified equivalent get a golden test: a test built from a function that
    differs from the notebook would lock its mistake in.
    """
    from nb2prod.render import render_template

    report = write_fixtures(plan, captured_dir, package_dir, workdir, only)
    cases = [
        {"module": f.module, "name": f.name, "params": list(f.params), "returns": list(f.returns),
         "config": bool(f.config_names)}
        for f in plan.functions if (package_dir / "tests" / "fixtures" / f.name / "outputs.pkl").is_file()
    ]
    tests = package_dir / "tests"
    if cases:
        (tests / "test_golden.py").write_text(
            render_template("test_golden.py.j2", package=plan.package, cases=cases), "utf-8")
        from nb2prod.compare import DISPLAY_MODULES

        (tests / "_nb2prod_compare.py").write_text(
            render_template("_nb2prod_compare.py.j2", display_modules=repr(DISPLAY_MODULES)), "utf-8")
        # the pipeline test replays the data steps (no files needed) when all of them have fixtures
        data_steps = [f for f in plan.functions if f.module == "data"]
        if data_steps and all(any(c["name"] == f.name for c in cases) for f in data_steps):
            expected = [n for f in plan.functions for n in f.returns if any(c["name"] == f.name for c in cases)]
            (tests / "test_pipeline.py").write_text(render_template("test_pipeline.py.j2",
                package=plan.package, replayed=[{"name": f.name, "returns": list(f.returns)} for f in data_steps],
                expected_results=list(dict.fromkeys(expected))), "utf-8")
        contract_cases = [c for c in cases if (tests / "fixtures" / c["name"] / "contracts.json").is_file()]
        edge_cases = [c for c in cases if (tests / "fixtures" / c["name"] / "empty_input.json").is_file()]
        if contract_cases or edge_cases:
            (tests / "test_contracts.py").write_text(render_template("test_contracts.py.j2",
                package=plan.package, contract_cases=contract_cases, edge_cases=edge_cases), "utf-8")
    return report


def write_fixtures(plan: Plan, captured_dir: Path, package_dir: Path, workdir: Path,
                   only: set[str] | None = None) -> dict[str, str]:
    """Write tests/fixtures/<function>/{inputs,outputs}.pkl; return, per function, what was done."""
    producer: dict[str, str] = {}
    spec_functions = []
    for function in plan.functions:
        if only is not None and function.name not in only:
            for name in function.returns:
                producer[name] = function.name
            continue
        spec_functions.append({
            "name": function.name, "module": function.module, "params": list(function.params),
            "role": function.role.value,
            "returns": list(function.returns), "config": bool(function.config_names),
            "producers": {p: producer.get(p, "") for p in function.params},
        })
        for name in function.returns:
            producer[name] = function.name
    out = package_dir / "tests" / "fixtures"
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(package_dir / "src"), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(captured_dir), str(out),
         json.dumps({"package": plan.package, "functions": spec_functions}), str(MAX_ROWS), str(MAX_FULL_BYTES)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL,
    )
    if done.returncode:
        return {f.name: "no golden test: " + (done.stderr.strip().splitlines() or ["fixture run failed"])[-1]
                for f in plan.functions}
    return json.loads(done.stdout.strip().splitlines()[-1])
