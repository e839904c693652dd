# After parent_death, capture_hooks and seed, in the package's environment: record what the
# generated package's tests/test_edges.py replays, for each function that has golden fixtures.
# - the type (and dtypes) of each value it returned in the notebook's run;
# - for each column it fills with a statistic (nb2prod.convert.edge_cases found where): a NaN
#   put in the sampled input, and the statistic of that input the notebook's code fills it with;
# - for each row condition whose other side the notebook's data never took: a synthetic row on
#   that side, and what the function returned for it.
# Writes tests/fixtures/<function>/edges.json (readable) and edges/<case>.pkl (inputs and
# expected values); prints, as its last line, {function: what was recorded} in JSON.
#
#     python -c <program> <JSON {"captured", "fixtures", "package", "functions"}>
import importlib
import json
import math
import os
import pickle
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nb2prod.verify.programs.seed import __nb2prod_seed__

MAX_CASES = 20  # per function and kind: a long function gets the first ones, not a slow test file


def _captured(folder: str, name: str) -> dict[str, object]:
    """The values one function returned in the notebook's run (missing ones left out)."""
    path = os.path.join(folder, f"{name}.pkl")
    if not os.path.isfile(path):
        return {}
    with open(path, "rb") as handle:
        stored = pickle.load(handle)
    values: dict[str, object] = {}
    for key, blob in stored.items():
        try:
            value = pickle.loads(blob) if isinstance(blob, bytes) else blob
        except Exception:
            continue
        if not (isinstance(value, str) and value.startswith("__nb2prod_")):
            values[key] = value
    return values


def _kind(value: object) -> dict[str, Any]:
    """A value's type by qualified name, and the dtypes of a frame, series or array."""
    kind: dict[str, Any] = {"type": f"{type(value).__module__}.{type(value).__qualname__}"}
    dtypes: Any = getattr(value, "dtypes", None)
    if hasattr(dtypes, "items"):  # a DataFrame
        kind["dtypes"] = {str(c): str(t) for c, t in dtypes.items()}
    elif hasattr(value, "dtype"):
        kind["dtype"] = str(value.dtype)
        if hasattr(value, "ndim"):
            kind["ndim"] = int(value.ndim)
    return kind


def _call(function: Callable[..., Any], spec: Mapping[str, Any], frozen: bytes) -> dict[str, Any]:
    """Run the function on unpickled inputs; its returned values by name."""
    inputs = pickle.loads(frozen)
    config = [spec["config"]()] if spec["config"] else []
    __nb2prod_seed__()
    result = function(*[inputs[p] for p in spec["params"]], *config)
    returns = spec["returns"]
    values = tuple(result) if len(returns) > 1 else (result,)
    return dict(zip(returns, values, strict=False))


def _position(frame: Any, column: str) -> int | None:
    names = [str(c) for c in frame.columns]
    return names.index(column) if column in names else None


def _plain(value: Any) -> Any:
    """A JSON value for a statistic or a cell (numpy scalars become Python ones)."""
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, float) or isinstance(got, float):
        try:
            return math.isclose(float(expected), float(got), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return bool(expected == got)


def _return_types(spec: Mapping[str, Any], captured: Mapping[str, object], folder: str) -> Any:
    """The notebook's return types, where the sampled golden run returned the same."""
    with open(os.path.join(folder, "outputs.pkl"), "rb") as handle:
        sampled = pickle.load(handle)
    types = {}
    for name in spec["returns"]:
        if name not in captured or name not in sampled:
            continue
        notebook, golden = _kind(captured[name]), _kind(sampled[name])
        if notebook["type"] == golden["type"]:
            # dtypes a sample can change (a column with nulls only in other rows) are left out
            types[name] = notebook if notebook == golden else {"type": notebook["type"]}
    return [{"kind": "return_type", "id": "returns", "returns": types}] if types else []


def _filled(
    outputs: Mapping[str, Any], column: str, labels: list[Any], rows: list[int], fitted: list[str]
) -> tuple[str, list[Any]] | None:
    """(returned name, values) where the function put the NaN rows of `column`."""
    import numpy as np
    import pandas as pd

    for name, value in outputs.items():
        at = _position(value, column) if isinstance(value, pd.DataFrame) else None
        if at is not None and value.index.is_unique and all(x in value.index for x in labels):
            return name, list(value.loc[labels].iloc[:, at])
        # an imputer's array: its columns in the order they were fitted
        matrix = isinstance(value, np.ndarray) and value.ndim == 2 and column in fitted
        if matrix and value.shape[1] == len(fitted) and max(rows) < value.shape[0]:
            return name, list(value[rows, fitted.index(column)])
    return None


def _imputations(function: Callable[..., Any], spec: Mapping[str, Any], frozen: bytes) -> Any:
    import pandas as pd

    inputs = pickle.loads(frozen)
    recorded: list[dict[str, Any]] = []
    for site in spec["imputations"]:
        fitted = [s["column"] for s in spec["imputations"] if s["via"] == site["via"]]
        for param, frame in inputs.items():
            if not isinstance(frame, pd.DataFrame) or frame.empty:
                continue
            if site["column"] == "*":
                columns = [str(c) for c in frame.select_dtypes("number").columns][:3]
            else:
                columns = [site["column"]] if _position(frame, site["column"]) is not None else []
            for column in columns:
                source = column if site["column"] == "*" else site["source"]
                case = _imputation(function, spec, frozen, param, column, source, site, fitted)
                if case is not None:
                    recorded.append(case)
    return recorded[:MAX_CASES]


def _imputation(
    function: Callable[..., Any],
    spec: Mapping[str, Any],
    frozen: bytes,
    param: str,
    column: str,
    source: str,
    site: Mapping[str, Any],
    fitted: list[str],
) -> dict[str, Any] | None:
    """A NaN in the first row of `column`; recorded when the function fills it with the statistic."""
    import pandas as pd

    inputs = pickle.loads(frozen)
    frame = inputs[param].copy()
    at, from_at = _position(frame, column), _position(frame, source)
    if at is None or from_at is None:
        return None
    if pd.api.types.is_integer_dtype(frame.iloc[:, at]) or pd.api.types.is_bool_dtype(
        frame.iloc[:, at]
    ):
        frame[frame.columns[at]] = frame.iloc[:, at].astype("float64")
    frame.iloc[0, at] = float("nan") if frame.iloc[:, at].dtype.kind in "fc" else None
    statistic_of = frame.iloc[:, from_at]
    if site["statistic"] == "mode":
        modes = statistic_of.mode()
        if modes.empty:
            return None
        statistic = _plain(modes.iloc[0])
    else:
        try:
            statistic = _plain(getattr(statistic_of, site["statistic"])())
        except TypeError:
            return None
    missing = frame.iloc[:, at].isna().to_numpy()
    labels = list(frame.index[missing])
    rows = [int(i) for i in missing.nonzero()[0]]
    inputs[param] = frame
    edge = pickle.dumps(inputs)
    try:
        outputs = _call(function, spec, edge)
    except Exception:
        return None
    found = _filled(outputs, column, labels, rows, fitted)
    if found is None or not all(_same(statistic, _plain(v)) for v in found[1]):
        return None  # the column changes before it is filled, or is filled elsewhere
    return {
        "kind": "imputation",
        "id": f"{param}-{column}-{site['statistic']}",
        "param": param,
        "column": column,
        "source": source,
        "statistic": site["statistic"],
        "via": site["via"],
        "line": site["line"],
        "value": statistic,
        "returned": found[0],
        "case": {"inputs": pickle.loads(edge), "labels": labels, "rows": rows, "fitted": fitted},
    }


_WORDS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"} | {
    "in": "in",
    "not in": "notin",
    "isna": "isna",
    "notna": "notna",
}
_MISSING = ("isna", "notna")  # conditions on whether the value is missing


def _holds(op: str, left: Any, right: Any) -> bool:
    if op in _MISSING:
        import pandas as pd

        return bool(pd.isna(left)) is (op == "isna")
    if op in ("in", "not in"):
        return (left in right) is (op == "in")
    return bool(
        {
            "<": lambda: left < right,
            "<=": lambda: left <= right,
            ">": lambda: left > right,
            ">=": lambda: left >= right,
            "==": lambda: left == right,
            "!=": lambda: left != right,
        }[op]()
    )


def _sides(series: Any, op: str, value: Any) -> tuple[bool, bool] | None:
    """Whether some value makes the condition true, and some false (a non-null value,
    unless the condition is whether it is missing)."""
    present = series if op in _MISSING else series.dropna()
    if present.empty:
        return None
    try:
        mask = [_holds(op, v, value) for v in present.tolist()]
    except TypeError:
        return None
    return any(mask), not all(mask)


def _synthetic(series: Any, op: str, value: Any, side: bool) -> Any:
    """A value of the column's type on the wanted side of `column op value`, or None."""
    import pandas as pd

    if op in _MISSING:
        present = series.dropna()
        missing = pd.NA if pd.api.types.is_extension_array_dtype(series) else float("nan")
        candidates: list[Any] = [missing, *present.iloc[:1].tolist()]
        return next((c for c in candidates if _holds(op, c, value) == side), None)
    pool = list(value) if op in ("in", "not in") else [value]  # the values it names
    if all(isinstance(v, str) for v in pool):
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            return None
        candidates = [*pool, f"{pool[0]}-other"]
    else:
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            return None
        numbers = [v for v in pool if not isinstance(v, str)]
        high, low = max(numbers), min(numbers)
        candidates = [*numbers, high + 1, low - 1, high + 0.5, low - 0.5]
        if pd.api.types.is_integer_dtype(series):
            candidates = [int(c) for c in candidates if float(c).is_integer()]
    return next((c for c in candidates if _holds(op, c, value) == side), None)


def _branches(
    function: Callable[..., Any], spec: Mapping[str, Any], frozen: bytes, full: Mapping[str, Any]
) -> Any:
    import pandas as pd

    inputs = pickle.loads(frozen)
    recorded: list[dict[str, Any]] = []
    for site in spec["conditions"]:
        for param, frame in inputs.items():
            at = _position(frame, site["column"]) if isinstance(frame, pd.DataFrame) else None
            if at is None or frame.empty:
                continue
            seen = full.get(param)  # the notebook's whole input, when it was captured
            seen = seen if isinstance(seen, pd.DataFrame) else frame
            seen_at = _position(seen, site["column"])
            column = seen.iloc[:, seen_at if seen_at is not None else at]
            sides = _sides(column, **_test(site))
            if sides is None:
                break
            rows = []
            if not all(sides):  # the notebook's data took one side only
                value = _synthetic(frame.iloc[:, at], site["op"], site["value"], not sides[0])
                rows.append((value, not sides[0], False))
            threshold = site["value"]
            ordered = site["op"] in ("<", "<=", ">", ">=")
            if ordered and not (column == threshold).any():  # `<` and `<=` differ only there
                value = _synthetic(frame.iloc[:, at], "==", threshold, True)
                rows.append((value, _holds(site["op"], threshold, threshold), True))
            for value, side, boundary in rows:
                if value is not None:
                    case = _branch(function, spec, frozen, param, at, site, (value, side, boundary))
                    recorded += [case] if case is not None else []
            break
    return recorded[:MAX_CASES]


def _test(site: Mapping[str, Any]) -> dict[str, Any]:
    return {"op": site["op"], "value": site["value"]}


def _branch(
    function: Callable[..., Any],
    spec: Mapping[str, Any],
    frozen: bytes,
    param: str,
    at: int,
    site: Mapping[str, Any],
    synthetic: tuple[Any, bool, bool],
) -> dict[str, Any] | None:
    """Append a row with `value` in the condition's column (on `side` of it, or on its
    `boundary`); record what the function returns for that row."""
    import numpy as np
    import pandas as pd

    value, side, boundary = synthetic
    tail = "boundary" if boundary else str(side).lower()
    inputs = pickle.loads(frozen)
    frame = inputs[param]
    row = frame.iloc[[0]].copy()
    row.iloc[0, at] = value
    if pd.api.types.is_integer_dtype(frame.index) and frame.index.is_unique:
        label = int(frame.index.max()) + 1
        row.index = pd.Index([label], dtype=frame.index.dtype)
        changed = pd.concat([frame, row])
    else:  # an index a new label could break: the first row is changed instead
        label = frame.index[0]
        changed = pd.concat([row, frame.iloc[1:]])
    if [str(t) for t in changed.dtypes] != [str(t) for t in frame.dtypes]:
        return None
    position = int(changed.index.get_loc(label))
    inputs[param] = changed
    edge = pickle.dumps(inputs)
    expected: dict[str, Any] = {}
    raises = None
    try:
        outputs = _call(function, spec, edge)
    except Exception as exc:
        raises = type(exc).__name__
    else:
        for name, returned in outputs.items():
            labelled = isinstance(returned, (pd.DataFrame, pd.Series)) and returned.index.is_unique
            if labelled and label in returned.index:
                expected[name] = returned.loc[[label]]
            elif isinstance(returned, np.ndarray) and returned.shape[:1] == (len(changed),):
                expected[name] = returned[[position]]  # an array row by row
        if not expected:
            return None  # nothing returned row by row: the row's outcome cannot be told apart
    return {
        "kind": "branch",
        "id": "-".join([site["column"], _WORDS[site["op"]], *_shown(site["value"]), tail]),
        "param": param,
        "condition": site["text"],
        "where": site["kind"],
        "line": site["line"],
        "column": site["column"],
        "notebook_took": None if boundary else not side,  # the one side its data took
        "synthetic_value": _plain(changed.iloc[position, at]),  # as the column holds it
        "side": side,
        "boundary": boundary,  # the condition's own value, where `<` and `<=` part
        "raises": raises,
        "returned": sorted(expected),
        "case": {
            "inputs": pickle.loads(edge),
            "label": label,
            "position": position,
            "expected": expected,
        },
    }


def _shown(value: Any) -> list[str]:
    """The condition's value in a case's id: `a+b` for a list of them, nothing for none."""
    if value is None:
        return []
    return ["+".join(map(str, value)) if isinstance(value, list) else str(value)]


def _record(spec: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    """Write one function's edge records; say what was recorded."""
    folder = os.path.join(params["fixtures"], spec["name"])
    with open(os.path.join(folder, "inputs.pkl"), "rb") as handle:
        frozen = handle.read()
    package = params["package"]
    function = getattr(importlib.import_module(f"{package}.{spec['module']}"), spec["name"])
    config = importlib.import_module(f"{package}.config").Config
    spec = {**spec, "config": config if spec["config"] else None}
    full = {
        p: _captured(params["captured"], producer).get(p)
        for p, producer in spec["producers"].items()
        if producer
    }
    cases = _return_types(spec, _captured(params["captured"], spec["name"]), folder)
    if "pandas" in sys.modules:
        cases += _imputations(function, spec, frozen)
        cases += _branches(function, spec, frozen, full)
    if not cases:
        return "no edge records"
    for number, case in enumerate(cases):
        if "case" in case:  # a file name any column name can be part of
            os.makedirs(os.path.join(folder, "edges"), exist_ok=True)
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in case["id"])
            case["file"] = f"{number}-{safe}.pkl"
            with open(os.path.join(folder, "edges", case["file"]), "wb") as handle:
                handle.write(pickle.dumps(case.pop("case")))
    with open(os.path.join(folder, "edges.json"), "w", encoding="utf-8") as handle:
        json.dump(cases, handle, indent=1)
    kinds = sorted({c["kind"] for c in cases})
    return f"{len(cases)} edge tests ({', '.join(kinds)})"


def _main(params: Mapping[str, Any]) -> dict[str, str]:
    report = {}
    for spec in params["functions"]:
        try:
            report[spec["name"]] = _record(spec, params)
        except Exception as exc:  # one function's failure leaves the others' records
            report[spec["name"]] = f"no edge records: {type(exc).__name__}: {exc}"[:300]
    return report


if __name__ == "__main__":
    print(json.dumps(_main(json.loads(sys.argv[1]))))
