# Last in the fixture run, after parent_death, capture_hooks, seed and edges: run each generated
# function on a sample of the inputs it received in the notebook's fresh run, and pickle inputs
# and outputs under tests/fixtures/<function>/ for the golden tests; data contracts and edge
# cases as JSON beside them. Prints, as its last line, {function: what was done} in JSON.
#
#     python -c <program> <JSON {"captured", "out", "package", "functions", "max_rows",
#                                "max_full_bytes"}>
import importlib
import json
import os
import pickle
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nb2prod.verify.programs.capture_hooks import (
        __nb2prod_SURROGATE__,
        __nb2prod_UNCAPTURABLE__,
    )
    from nb2prod.verify.programs.edges import apply_edge, describe, edge_cases_for
    from nb2prod.verify.programs.seed import __nb2prod_seed__


def _load_captured(folder: str) -> dict[str, dict[str, object]]:
    """Read the values each function returned in the notebook's run, by function."""
    values: dict[str, dict[str, object]] = {}
    for name in os.listdir(folder):
        if not name.endswith(".pkl"):
            continue
        with open(os.path.join(folder, name), "rb") as handle:
            stored = pickle.load(handle)
        loaded: dict[str, object] = {}
        for key, blob in stored.items():
            try:
                loaded[key] = pickle.loads(blob) if isinstance(blob, bytes) else blob
            except Exception as exc:
                loaded[key] = f"{__nb2prod_UNCAPTURABLE__}: {exc}"
        values[name[:-4]] = loaded
    return values


def _sample(value: object, max_rows: int) -> object:
    """The first `max_rows` rows of a DataFrame, Series or array; anything else as it is."""
    pd, np = sys.modules.get("pandas"), sys.modules.get("numpy")
    if pd is not None and isinstance(value, (pd.DataFrame, pd.Series)) and len(value) > max_rows:
        return value.head(max_rows)
    if np is not None and isinstance(value, np.ndarray) and value.ndim >= 1:
        return value[:max_rows] if len(value) > max_rows else value
    return value


def _missing(value: object) -> bool:
    """A marker the capture left in place of a value it could not keep."""
    if isinstance(value, str):
        return value.startswith("__nb2prod_")
    return isinstance(value, dict) and __nb2prod_SURROGATE__ in value


def _outputs(result: Any, returns: list[str]) -> dict[str, object]:
    """Name what a function returned (a tuple when it returns several values)."""
    values = tuple(result) if len(returns) > 1 else (result,)
    return dict(zip(returns, values, strict=False))


def _contract(pd: Any, frame: Any) -> dict[str, list[str] | dict[str, str]]:
    """Columns, dtypes, never-null, non-negative and [0, 1] columns of the data the notebook saw."""
    non_negative, ratio = [], []
    for c in frame.columns:
        column = frame[c]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        if numeric and len(column.dropna()):
            low, high = float(column.min()), float(column.max())
            if low >= 0:
                non_negative.append(str(c))
            if low >= 0 and high <= 1 and pd.api.types.is_float_dtype(column):
                ratio.append(str(c))
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": {str(c): str(t) for c, t in frame.dtypes.items()},
        "non_null": [str(c) for c in frame.columns if not frame[c].isna().any()],
        "non_negative": non_negative,
        "ratio": ratio,
    }


def _call(function: Callable[..., Any], spec: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
    """Call a generated function on these inputs (and a default Config when it takes one)."""
    config = [spec["config"]()] if spec["config"] else []
    return function(*[inputs[p] for p in spec["params"]], *config)


def _run(
    function: Callable[..., Any], spec: Mapping[str, Any], args: dict[str, object], params: Any
) -> tuple[str, bytes, dict[str, object]] | str:
    """Run on the sample, else on the full inputs when small; (label, inputs, outputs) or why not."""
    why = ""
    sampled = {k: _sample(v, params["max_rows"]) for k, v in args.items()}
    for label, inputs in (("sample", sampled), ("full", args)):
        if label == "full" and len(pickle.dumps(args)) > params["max_full_bytes"]:
            break
        try:
            frozen = pickle.dumps(inputs)  # before the call: functions may change their arguments
            __nb2prod_seed__()
            outputs = _outputs(_call(function, spec, pickle.loads(frozen)), spec["returns"])
            pickle.dumps(outputs)
            return label, frozen, outputs
        except Exception as exc:
            why = f"could not run on the {label} inputs: {type(exc).__name__}: {exc}"[:300]
    return why


def _edges(
    function: Callable[..., Any], spec: Mapping[str, Any], frozen: bytes, param: str, cases: Any
) -> list[dict[str, Any]]:
    """Record what the function does on each edge case of one DataFrame argument."""
    recorded: list[dict[str, Any]] = []
    for case, column in cases:
        call = pickle.loads(frozen)
        call[param] = apply_edge(call[param], case, column)
        edge: dict[str, Any] = {"param": param, "case": case, "column": column}
        try:
            edge["outcome"] = describe(_outputs(_call(function, spec, call), spec["returns"]))
        except Exception as exc:
            edge["outcome"] = {"raises": type(exc).__name__}
        recorded.append(edge)
    return recorded


def _write(folder: str, name: str, content: str | bytes) -> None:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(content.encode("utf-8") if isinstance(content, str) else content)


def _fixtures(spec: Mapping[str, Any], values: Any, params: Any) -> str:
    """Write one function's fixtures; say what was done."""
    name = spec["name"]
    if not spec["returns"]:
        return "returns nothing"
    try:
        args = {p: values[spec["producers"][p]][p] for p in spec["params"]}
    except KeyError as exc:
        return f"input {exc} was not captured"
    if any(_missing(v) for v in args.values()):
        return "an input could not be captured"
    package = params["package"]
    function = getattr(importlib.import_module(f"{package}.{spec['module']}"), name)
    config = importlib.import_module(f"{package}.config").Config
    spec = {**spec, "config": config if spec["config"] else None}
    outcome = _run(function, spec, args, params)
    if isinstance(outcome, str):
        return outcome
    label, frozen, outputs = outcome
    folder = os.path.join(params["out"], name)
    pd = sys.modules.get("pandas")
    contracts, edges = {}, []
    for p in spec["params"] if spec["role"] in ("data", "features") else ():
        value = args[p]
        if pd is not None and isinstance(value, pd.DataFrame) and not value.empty:
            contracts[p] = _contract(pd, value)
            if spec["role"] == "features":
                cases = edge_cases_for(function, value, contracts[p])
                edges += _edges(function, spec, frozen, p, cases)
    if contracts:
        _write(folder, "contracts.json", json.dumps(contracts, indent=1))
    if edges:
        _write(folder, "edge_cases.json", json.dumps(edges, indent=1))
    _write(folder, "inputs.pkl", frozen)
    _write(folder, "outputs.pkl", pickle.dumps(outputs))
    return f"golden test on {label} inputs"


def _main(params: Mapping[str, Any]) -> dict[str, str]:
    values = _load_captured(params["captured"])
    importlib.import_module(params["package"] + ".config")
    return {spec["name"]: _fixtures(spec, values, params) for spec in params["functions"]}


if __name__ == "__main__":
    print(json.dumps(_main(json.loads(sys.argv[1]))))
