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
from collections.abc import Mapping, Sequence
from pathlib import Path

from nb2prod.convert.plan import Plan

MAX_ROWS = 200
MAX_FULL_BYTES = 2_000_000

_SCRIPT = r"""
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


EDGE_HELPERS

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
    if any((isinstance(v, str) and v.startswith("__nb2prod_")) or (isinstance(v, dict) and "__nb2prod_surrogate__" in v)
           for v in args.values()):
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
    contracts, edges = {}, []
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
                for case, column in edge_cases_for(func, value, contract):
                    call = pickle.loads(frozen)
                    call[p] = apply_edge(call[p], case, column)
                    try:
                        result = func(*[call[q] for q in params], *([config_module.Config()] if uses_config else []))
                        edges.append({"param": p, "case": case, "column": column,
                                      "outcome": describe(dict(zip(returns, result if len(returns) > 1 else (result,))))})
                    except Exception as exc:
                        edges.append({"param": p, "case": case, "column": column,
                                      "outcome": {"raises": type(exc).__name__}})
    if contracts:
        with open(os.path.join(folder, "contracts.json"), "w") as handle:
            json.dump(contracts, handle, indent=1)
    if edges:
        with open(os.path.join(folder, "edge_cases.json"), "w") as handle:
            json.dump(edges, handle, indent=1)
    with open(os.path.join(folder, "inputs.pkl"), "wb") as handle:
        handle.write(inputs)
    with open(os.path.join(folder, "outputs.pkl"), "wb") as handle:
        pickle.dump(outputs, handle)
    report[name] = "golden test on " + label + " inputs"
print(json.dumps(report))
"""


# Edge cases, shared by the script that records them and the generated test that replays them:
# an empty frame; a NaN in a numeric column the function names; zeros in a column it divides by.
EDGE_HELPERS = r'''
def edge_cases_for(function, frame, contract):
    """(case, column) pairs worth recording for `frame`, judged from the function's own code."""
    import ast
    import inspect
    import pandas as pd
    cases = [("empty", None)]
    package = function.__module__.split(".")[0]
    trees, todo, seen = [], [function], set()
    while todo and len(seen) < 20:  # the function, and the package's own functions it calls
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            tree = ast.parse(inspect.getsource(current).strip())
        except (OSError, TypeError, SyntaxError):
            continue
        trees.append(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                callee = getattr(current, "__globals__", {}).get(node.func.id)
                if inspect.isfunction(callee) and callee.__module__.split(".")[0] == package:
                    todo.append(callee)
    nodes = [n for tree in trees for n in ast.walk(tree)]
    named = {n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    divisors = set()
    for node in nodes:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)):
            right = node.right
            if isinstance(right, ast.Subscript) and isinstance(right.slice, ast.Constant):
                divisors.add(right.slice.value)
            elif isinstance(right, ast.Attribute):
                divisors.add(right.attr)
    numeric = [str(c) for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    for column in numeric:
        if column in named and column in contract["non_null"]:
            cases.append(("nan", column))
            break
    for column in numeric:
        if column in divisors:
            cases.append(("zero_denominator", column))
            break
    return cases


def apply_edge(frame, case, column):
    """The input for one edge case: a copy, never the recorded frame itself."""
    if case == "empty":
        return frame.iloc[0:0]
    changed = frame.copy()
    position = [str(c) for c in changed.columns].index(column)
    if case == "nan":
        changed[changed.columns[position]] = changed.iloc[:, position].astype("float64")
        changed.iloc[0, position] = float("nan")
    else:
        changed.iloc[:, position] = 0
    return changed


def describe(outputs):
    """What an edge case is checked for: each returned frame's columns, and which hold non-finite values."""
    import numpy as np
    import pandas as pd
    described = {}
    for name, value in outputs.items():
        if isinstance(value, pd.Series):
            value = value.to_frame()
        if isinstance(value, pd.DataFrame):
            numbers = value.select_dtypes("number")
            described[name] = {"columns": [str(c) for c in value.columns],
                               "non_finite": [str(c) for c in numbers.columns
                                              if not np.isfinite(numbers[c].to_numpy(dtype="float64")).all()]}
    return {"returns": described}
'''
_SCRIPT = _SCRIPT.replace("EDGE_HELPERS", EDGE_HELPERS)


def write_golden_tests(
    plan: Plan,
    captured_dir: Path,
    package_dir: Path,
    workdir: Path,
    only: set[str] | None = None,
    not_compared: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """Write fixtures and tests/test_golden.py into the package; return, per function, what was done.

    Only functions verified equivalent get a golden test: a test built from a function that
    differs from the notebook would lock its mistake in.
    """
    from nb2prod.convert.render import render_template

    report = write_fixtures(plan, captured_dir, package_dir, workdir, only)
    cases = [
        {
            "module": f.module,
            "name": f.name,
            "params": list(f.params),
            "returns": list(f.returns),
            "config": bool(f.config_names),
            "not_compared": list((not_compared or {}).get(f.name, ())),
        }
        for f in plan.functions
        if (package_dir / "tests" / "fixtures" / f.name / "outputs.pkl").is_file()
    ]
    tests = package_dir / "tests"
    if cases:
        (tests / "test_golden.py").write_text(
            render_template("test_golden.py.j2", package=plan.package, cases=cases), "utf-8"
        )
        from nb2prod.verify.compare import DISPLAY_MODULES

        (tests / "_nb2prod_compare.py").write_text(
            render_template("_nb2prod_compare.py.j2", display_modules=repr(DISPLAY_MODULES)),
            "utf-8",
        )
        # the pipeline test replays the data steps (no files needed) when all of them have fixtures
        data_steps = [f for f in plan.functions if f.module == "data"]
        if data_steps and all(any(c["name"] == f.name for c in cases) for f in data_steps):
            # each result as its last producer left it, when that producer has a fixture
            last_producer = {n: f.name for f in plan.functions for n in f.returns}
            with_fixture = {c["name"] for c in cases}
            expected = [
                {"name": n, "producer": p} for n, p in last_producer.items() if p in with_fixture
            ]
            (tests / "test_pipeline.py").write_text(
                render_template(
                    "test_pipeline.py.j2",
                    package=plan.package,
                    replayed=[{"name": f.name, "returns": list(f.returns)} for f in data_steps],
                    expected_results=expected,
                ),
                "utf-8",
            )
        contract_cases = [
            c for c in cases if (tests / "fixtures" / c["name"] / "contracts.json").is_file()
        ]
        edge_cases = [
            c for c in cases if (tests / "fixtures" / c["name"] / "edge_cases.json").is_file()
        ]
        if contract_cases or edge_cases:
            (tests / "test_contracts.py").write_text(
                render_template(
                    "test_contracts.py.j2",
                    package=plan.package,
                    contract_cases=contract_cases,
                    edge_cases=edge_cases,
                    edge_helpers=EDGE_HELPERS.strip() + "\n",
                ),
                "utf-8",
            )
    return report


def write_fixtures(
    plan: Plan, captured_dir: Path, package_dir: Path, workdir: Path, only: set[str] | None = None
) -> dict[str, str]:
    """Write tests/fixtures/<function>/{inputs,outputs}.pkl; return, per function, what was done."""
    producer: dict[str, str] = {}
    spec_functions = []
    for function in plan.functions:
        if only is not None and function.name not in only:
            for name in function.returns:
                producer[name] = function.name
            continue
        spec_functions.append(
            {
                "name": function.name,
                "module": function.module,
                "params": list(function.params),
                "role": function.role.value,
                "returns": list(function.returns),
                "config": bool(function.config_names),
                "producers": {p: producer.get(p, "") for p in function.params},
            }
        )
        for name in function.returns:
            producer[name] = function.name
    out = package_dir / "tests" / "fixtures"
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(package_dir / "src"), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _SCRIPT,
            str(captured_dir),
            str(out),
            json.dumps({"package": plan.package, "functions": spec_functions}),
            str(MAX_ROWS),
            str(MAX_FULL_BYTES),
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode:
        return {
            f.name: "no golden test: "
            + (done.stderr.strip().splitlines() or ["fixture run failed"])[-1]
            for f in plan.functions
        }
    return json.loads(done.stdout.strip().splitlines()[-1])
