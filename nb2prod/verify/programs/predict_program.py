# Last in the predict check of `verify` (verify/predict_path.py), after parent_death and seed,
# in a view of the notebook's project: train the generated package on the data the notebook
# reads, then apply its predict() to the raw rows behind the notebook's held-out matrix.
#
#     python -c <program> <JSON parameters>
#
# The raw rows are the input frame as `train` read it: `rows.snapshot(name, frame)` is called
# with it before any step changes it, and a copy is kept here. An input that is a 2-D array
# becomes a frame with the columns training named its features (`x0`, `x1`...). When the
# notebook's own fitted model is the oracle (`oracle_only`: it scores no rows; or its held-out
# rows have no index back to the rows read, and `fitted` is given), predict() scores every row
# read; the fitted object and the last matrix predict gave the model (its gate's) come back. Everything is pickled to <out>/predict.pkl, a failure as
# {"stage": ..., "error": ...}.
import importlib
import inspect
import json
import os
import pickle
import sys
from typing import Any

RESAMPLES = 8  # draws of the rows, each scored as one batch


def _error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.rstrip(":")[:600]


def predict_module_output(package: str, rows: Any, artifact: Any, contracts: bool = True) -> Any:
    predict = importlib.import_module(package + ".predict").predict
    accepted = inspect.signature(predict).parameters
    # a check, not a batch to monitor: no drift record is written where it runs
    options: dict[str, Any] = {"monitoring": None} if "monitoring" in accepted else {}
    if not contracts and "contracts" in accepted:  # rows drawn again repeat unique ids
        options["contracts"] = "off"
    return predict(rows.copy(), artifact, **options)


def _run(parameters: dict[str, Any]) -> dict[str, Any]:
    package = parameters["package"]
    rows_module: Any = importlib.import_module(package + ".rows")
    raw: dict[str, Any] = {}
    original = rows_module.snapshot

    def snapshot(name: str, frame: Any) -> Any:
        if name not in raw:  # the first read: before the feature steps change it in place
            raw[name] = frame.copy() if hasattr(frame, "copy") else frame
        return original(name, frame)

    rows_module.snapshot = snapshot
    gates: list[Any] = []  # each gate predict() makes: the last holds the model's matrix
    made_gate = rows_module.Gate

    def recording_gate(*args: Any, **kwargs: Any) -> Any:
        gates.append(made_gate(*args, **kwargs))
        return gates[-1]

    rows_module.Gate = recording_gate
    try:
        result = importlib.import_module(package + ".train").train(
            artifacts=parameters["artifacts"]
        )
    except BaseException as exc:
        return {"stage": "train", "error": _error(exc)}
    values = dict(result.values)
    frame: Any = raw.get(parameters["input"])
    from_array = len(getattr(frame, "shape", ())) == 2 and not hasattr(frame, "loc")
    if from_array:
        import pandas as pd

        frame = pd.DataFrame(frame, columns=[f"x{i}" for i in range(frame.shape[1])])
    if frame is None or not hasattr(frame, "loc"):
        return {"stage": "rows", "error": f"train() read no frame {parameters['input']!r}"}
    oracle = bool(parameters["oracle_only"])
    index = None
    if parameters["held_out"]:
        index = getattr(values.get(parameters["held_out"]), "index", None)
        # held-out rows that lead back to no rows read (an array): the fitted-model oracle
        oracle = oracle or (index is None and bool(parameters["fitted"]))
    if oracle or not parameters["held_out"]:  # the input's rows, all of them
        rows, index = frame, frame.index
    else:
        if index is None:
            why = f"{parameters['held_out']!r} has no index back to the rows read"
            return {"stage": "rows", "error": why}
        try:
            rows = frame.loc[index]
        except Exception as exc:
            why = f"the index of {parameters['held_out']!r} is not one of the rows read: "
            return {"stage": "rows", "error": why + _error(exc)}
    target = [c for c in parameters["target"] if c in rows.columns]
    rows = rows.drop(columns=target)
    try:
        artifact = importlib.import_module(package + ".artifact").load(result.artifact_dir)
        output = predict_module_output(package, rows, artifact)
    except BaseException as exc:
        failed = {"stage": "predict", "error": _error(exc), "rows": rows}
        return {**failed, "from_array": from_array, "oracle": oracle}
    matrix = gates[-1].last if gates else None
    fitted = artifact.objects.get(parameters["fitted"]) if parameters["fitted"] else None
    # the first rows alone, as the generated tests/test_predict.py replays them: the same
    # values unless a step computes over the batch
    try:
        sample = predict_module_output(package, rows.iloc[: parameters["sample"]], artifact)
    except BaseException as exc:
        sample = _error(exc)
    # the rows drawn again with replacement, in another order (a few draws: a step that
    # computes over the batch may agree on some): a row scores the same in any batch. A new
    # batch is numbered afresh, as a file read is
    import numpy as np

    resamples: list[tuple[Any, Any]] = []
    for seed in range(RESAMPLES):
        drawn = np.random.default_rng(seed).integers(0, len(rows), size=min(len(rows), 5_000))
        try:
            resamples.append(
                (
                    drawn,
                    predict_module_output(
                        package, rows.iloc[drawn].reset_index(drop=True), artifact, False
                    ),
                )
            )
        except BaseException as exc:
            resamples.append((drawn, _error(exc)))
            break
    return {
        "stage": "done",
        "rows": rows,
        "output": output,
        "sample": sample,
        "resamples": resamples,
        "index": index,
        "train_values": {n: values[n] for n in parameters["outputs"] if n in values},
        "artifact_dir": str(result.artifact_dir),
        "fitted_model": fitted,
        "matrix": matrix,
        "from_array": from_array,
        "oracle": oracle,
    }


class _OutcomePickler(pickle.Pickler):
    """Pickles the outcome for nb2prod's own process, which cannot import the package: a
    function, class or object of the package's own (a search's `refit` from the notebook,
    a transformer class the notebook defined) goes as its name."""

    def __init__(self, handle: Any, package: str) -> None:
        super().__init__(handle)
        self.package = package

    def persistent_id(self, obj: Any) -> Any:
        own = obj if inspect.isfunction(obj) or inspect.isclass(obj) else type(obj)
        module = getattr(own, "__module__", None)
        if isinstance(module, str) and module.split(".")[0] == self.package:
            return f"{module}.{getattr(own, '__qualname__', '?')}"
        return None


if __name__ == "__main__":
    arguments = json.loads(sys.argv[1])
    outcome = _run(arguments)
    target_file = os.path.join(arguments["out"], "predict.pkl")
    try:
        with open(target_file + ".tmp", "wb") as handle:
            _OutcomePickler(handle, arguments["package"]).dump(outcome)
    except Exception as exc:  # a value that does not pickle: say so, without it
        with open(target_file + ".tmp", "wb") as handle:
            pickle.dump({"stage": "pickle", "error": _error(exc)}, handle)
    os.replace(target_file + ".tmp", target_file)
