"""`verify` proves the predict path (issue #14, requirement 4).

When the package has `train.py` and `predict.py`, a run beside the notebook's fresh run
(`programs/predict_program.py`, in its own view of the project, as the package run) trains
the package on the data the notebook reads, takes the raw rows behind the notebook's
held-out matrix (the input frame as `train` read it, at the held-out index; the target
dropped) and applies `predict()` to them with the artifact just saved. Then, with the verify
comparator:

- each prediction (`proba_test`) against the notebook's fresh run, within the comparator's
  float tolerances;
- each row-aligned frame or series the business rules made (`scored`) against the columns
  of predict's output: labels and booleans (the decisions) compare exactly, floats within
  tolerance.

"differs" needs proof that the difference is predict's: the package's own `train()`, which
recomputes the notebook's predictions on the held-out rows, must give the notebook's values;
if it does not, the model differs (training, not scoring) and the predict path is unverified.
Whatever cannot be run or compared leaves it unverified with the reason, never equivalent.

When the notebook never scores rows with its fitted model (it fits, then only plots or
inspects it), or scores held-out rows that lead back to no rows of the input (arrays, which
have no index), the oracle is the notebook's own fitted model: an injection right after the
cell that fits it applies the model to the matrix at predict's input boundary (`X`, the rows
before any split) in the notebook's kernel, and `predict()` is applied to the same raw rows
(all of the input, as `train` read it; when the matrix keeps an index and holds fewer rows,
the rows of that index). Equal predictions: equivalent. Different ones are
blamed on predict only with proof: the model predict loaded equals the notebook's (the
comparator's estimator state); then the matrix predict gave it (its gate's) is compared with
the notebook's, to say which differs. A model that differs leaves it unverified.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nb2prod.convert.fit import FitBoundary, Prediction, boundary_of_plan
from nb2prod.convert.plan import Plan
from nb2prod.convert.production import production
from nb2prod.core.vocabulary import Verdict
from nb2prod.verify.capture import Captured, marker
from nb2prod.verify.compare import judge
from nb2prod.verify.package_run import run_in_view
from nb2prod.verify.programs import program
from nb2prod.verify.values import ValueCheck

PREDICT_PROGRAM = ("parent_death", "clock", "seed", "predict_program")
WHERE = "predict"
SAMPLE_ROWS = 200  # rows of the generated tests/test_predict.py (as the golden fixtures' MAX_ROWS)
# the capture the fitted-model oracle writes in the notebook's kernel (never a function's name:
# generated functions never start with an underscore)
ORACLE = "__nb2prod_fitted_oracle__"
# predict()'s column when the notebook never scores rows (production.py names it so)
PREDICTION = "prediction"
# the oracle capture's keys beside the prediction (stored under predict()'s column, a Python
# name): never a name
ORACLE_MODEL, ORACLE_MATRIX = "(model)", "(matrix)"


@dataclass(frozen=True, slots=True)
class PredictCheck:
    """The predict path's verdict: predict() on the rows the notebook scored, against it."""

    verdict: Verdict  # a claim: equivalent, differs or unverified
    compared: tuple[ValueCheck, ...] = ()  # each prediction, then each business-rule value
    reason: str = ""  # why it differs or is unverified; "" when equivalent
    rows: int = 0  # rows scored
    seconds: float = 0.0
    predictions: tuple[str, ...] = ()  # which of `compared` are predictions (the rest: rules)
    target: tuple[str, ...] = ()  # target column(s): never predict's, left out of the rules' frames
    oracle: str = ""  # the notebook's own model call compared with (the fitted-model oracle)

    def line(self) -> str:
        """`predict path: equivalent | differs: why | unverified: why`."""
        if self.verdict is Verdict.EQUIVALENT:
            names = ", ".join(c.name for c in self.compared if c.verdict is Verdict.EQUIVALENT)
            if self.oracle:
                return (
                    f"predict path: equivalent ({names} against the notebook's {self.oracle}, "
                    f"on {self.rows} rows)"
                )
            return f"predict path: equivalent ({names} on the {self.rows} rows the notebook scored)"
        return f"predict path: {self.verdict}: {self.reason}"

    def to_json(self) -> dict[str, object]:
        return {
            "verdict": str(self.verdict),
            "reason": self.reason,
            "rows": self.rows,
            "oracle": self.oracle,
            "seconds": round(self.seconds, 2),
            "compared": [
                {"name": c.name, "verdict": str(c.verdict), "detail": c.detail}
                for c in self.compared
            ],
        }


@dataclass(frozen=True, slots=True)
class PredictSetup:
    """What the fit boundary says the check needs, by the notebook's names."""

    input: str  # the raw frame predict takes (`df`)
    held_out: str  # the held-out matrix the notebook scored (`X_test`); "": every input row
    outputs: tuple[str, ...]  # the predictions (`proba_test`)
    decisions: tuple[str, ...]  # names the business rules bind (`scored`, `summary`)
    target: tuple[str, ...]  # the target column(s), dropped from the rows
    # the fitted-model oracle: the fitted object, its method, the matrix it takes, the cell
    # the kernel applies it before, predict()'s column for it ("": no oracle); `oracle_only`:
    # the notebook scores no rows, else the oracle serves when its held-out rows cannot be had
    fitted: str = ""
    method: str = ""
    matrix: str = ""
    cell: int = 0
    column: str = PREDICTION
    oracle_only: bool = False
    call: str = ""  # what the kernel evaluates (`clf.predict_proba(X)[:, 1]`)

    def injections(self) -> list[tuple[int, str]]:
        """Code for the notebook's kernel: the fitted-model oracle (nothing otherwise)."""
        if not self.fitted:
            return []
        # the capture hooks of the kernel prelude pickle each value on its own; a failure
        # leaves a marker naming it
        call = (
            f"__nb2prod_capture__({ORACLE!r}, {{"
            f"{self.column!r}: lambda: {self.call}, {ORACLE_MODEL!r}: lambda: {self.fitted}, "
            f"{ORACLE_MATRIX!r}: lambda: {self.matrix}}})"
        )
        return [(self.cell, call)]


def predict_setup(plan: Plan, package_dir: Path | None) -> PredictSetup | str | None:
    """The check's setup; a string: why the predict path cannot be proved; None: the notebook
    fits nothing, so there is no predict path to prove."""
    boundary = boundary_of_plan(plan)
    made = production(boundary)
    if boundary is None or made is None or not made.train:
        return None
    if not made.predict:
        return "no predict.py: " + ("; ".join(made.reasons) or "the scoring slice cannot be made")
    source = package_dir / "src" / plan.package if package_dir is not None else None
    if source is None or not (source / "predict.py").is_file():
        return "the package has no predict.py to run"
    scored = [p for p in boundary.predictions if p.statement is not None and p.output]
    if not scored:
        return _fitted_oracle(plan, boundary)
    oracle = _fitted_oracle(plan, boundary, scored[0])
    held_out = {after: before for before, after in boundary.renames}
    # a matrix not renamed is the input's own rows, all of them ("": no held-out part)
    matrices = {held_out.get(_rows_of(p.matrix), "") for p in scored}
    if len(matrices) != 1:
        return (
            "the rows the notebook scored are not one held-out matrix of the input "
            f"({', '.join(sorted(p.matrix for p in scored))})"
        )
    decisions = tuple(
        ref.name
        for index in boundary.business
        for ref in plan.statements[index].statement.symbols.defines
    )
    setup = PredictSetup(
        input=boundary.inputs[0].name,
        held_out=str(matrices.pop()),
        outputs=tuple(str(p.output) for p in scored),
        decisions=tuple(dict.fromkeys(decisions)),
        target=boundary.target.columns if boundary.target is not None else (),
    )
    if isinstance(oracle, str):
        return setup
    return replace(
        setup,
        call=oracle.call,
        fitted=oracle.fitted,
        method=oracle.method,
        matrix=oracle.matrix,
        cell=oracle.cell,
        column=str(scored[0].output),
    )


def _fitted_oracle(
    plan: Plan, boundary: FitBoundary, prediction: Prediction | None = None
) -> PredictSetup | str:
    """The setup that checks predict() against the notebook's own fitted model, applied in its
    kernel to the matrix predict gives the model (`prediction`'s, or the one predict applies
    when the notebook scores nothing); a string: why it cannot."""
    if prediction is None:
        applied = [p for p in boundary.predictions if p.statement is None]
        unnamed = [p for p in boundary.predictions if p.statement is not None]
        if unnamed:  # `mean, std = gp.predict(X, return_std=True)`: no column of predict()'s
            return (
                f"the notebook scores rows with {unnamed[0].fitted}.{unnamed[0].method} without "
                "binding one name to the result: predict() returns no prediction to compare"
            )
        if len(applied) != 1:
            return "predict() has no one prediction to compare with the notebook's fitted model"
        (prediction,) = applied
    fits = [f.fit for f in boundary.fitted if f.name == prediction.fitted]
    if not fits:
        return f"{prediction.fitted} is not among the fitted objects"
    call = f"{prediction.fitted}.{prediction.method}({prediction.matrix})"
    if prediction.statement is not None:
        # the notebook's own expression, on predict's matrix: `lr.predict_proba(X_test)[:, 1]`
        made = _scoring_expression(plan, prediction, dict(boundary.renames))
        if made is None:
            return f"the notebook's scoring statement is not `{prediction.output} = <expression>`"
        call = made
    # right after the cell that fits it last: the model as train saves it, and the matrix
    # before the notebook can rebind the name for something else
    cell = plan.statements[max(fits)].statement.cell + 1
    return PredictSetup(
        input=boundary.inputs[0].name,
        held_out="",
        outputs=(PREDICTION,),
        decisions=(),
        target=boundary.target.columns if boundary.target is not None else (),
        fitted=prediction.fitted,
        method=prediction.method,
        matrix=prediction.matrix,
        cell=cell,
        oracle_only=True,
        call=call,
    )


def _rows_of(matrix: str) -> str:
    """The frame whose rows a matrix is: `X[cols]` and `X[["a", "b"]]` are `X`'s rows, other
    columns (a `.loc`/`.iloc` subscript picks rows: the matrix is kept as written)."""
    try:
        node = ast.parse(matrix, mode="eval").body
    except SyntaxError:
        return matrix
    while isinstance(node, ast.Subscript) and not isinstance(node.value, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else matrix


def _scoring_expression(
    plan: Plan, prediction: Prediction, renames: Mapping[str, str]
) -> str | None:
    """The value of `output = <expression>` (the statement that scores), its held-out names
    renamed to predict's (`X_test` -> `X`); None when the statement is not one such."""
    index = prediction.statement
    if index is None:
        return None
    try:
        tree = ast.parse(plan.statements[index].statement.code)
    except SyntaxError:
        return None
    node = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(node, ast.Assign) or len(node.targets) != 1:
        return None
    target = node.targets[0]
    if not isinstance(target, ast.Name) or target.id != prediction.output:
        return None
    for name in ast.walk(node.value):
        if isinstance(name, ast.Name) and name.id in renames:
            name.id = renames[name.id]
    return ast.unparse(node.value)


@dataclass(slots=True)
class PredictRun:
    """The predict program on its own thread, in its own view; `outcome` once joined."""

    plan: Plan
    package_dir: Path
    notebook: Path
    setup: PredictSetup
    out_dir: Path  # predict.pkl and the artifact land here (verify's scratch folder)
    timeout: float | None
    process: subprocess.Popen[bytes] | None = None
    outcome: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    thread: threading.Thread | None = field(default=None, init=False)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout=timeout)

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        self.join(timeout=30)

    def _started(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    def _run(self) -> None:
        start = time.perf_counter()
        parameters = {
            "package": self.plan.package,
            "input": self.setup.input,
            "held_out": self.setup.held_out,
            "outputs": list(self.setup.outputs),
            "target": list(self.setup.target),
            "artifacts": str(self.out_dir / "artifacts"),
            "out": str(self.out_dir),
            "sample": SAMPLE_ROWS,
            "fitted": self.setup.fitted,
            "oracle_only": self.setup.oracle_only,
        }
        argv = [sys.executable, "-c", program(*PREDICT_PROGRAM), json.dumps(parameters)]
        code, tail = run_in_view(
            self.plan,
            self.package_dir,
            self.notebook,
            argv,
            self.timeout,
            prefix="nb2prod-predict-",
            env={},
            started=self._started,
        )
        if code is None:
            self.outcome = {"stage": "timeout", "error": f"timed out after {self.timeout:g} s"}
        else:
            self.outcome = _read_outcome(self.out_dir / "predict.pkl", tail, code)
        self.seconds = time.perf_counter() - start


@dataclass(frozen=True, slots=True)
class PackageValue:
    """A value of the generated package's own (a function, a class or an instance of one) in
    the predict check's outcome: this process does not import the package, so only its name."""

    name: str


class _OutcomeUnpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> PackageValue:
        return PackageValue(str(pid))


def _read_outcome(path: Path, stderr_tail: str, returncode: int) -> Mapping[str, Any]:
    try:
        with open(path, "rb") as handle:
            loaded = _OutcomeUnpickler(handle).load()
    except FileNotFoundError:
        lines = [line for line in stderr_tail.splitlines() if line.strip()]
        return {"stage": "run", "error": lines[-1] if lines else f"exit code {returncode}"}
    except Exception as exc:  # a value of the run that does not unpickle here
        return {"stage": "read", "error": f"{type(exc).__name__}: {exc}"}
    return loaded if isinstance(loaded, dict) else {"stage": "read", "error": "not a result"}


_STAGES = {
    "train": "train() failed",
    "rows": "the rows the notebook scored cannot be taken from the input",
    "timeout": "the predict check",
    "run": "the predict check failed",
    "read": "the predict check's result cannot be read",
    "pickle": "the predict check's result cannot be saved",
}


def notebook_value(
    plan: Plan, captured: Captured, name: str, *, oracle: bool = True
) -> tuple[bool, Any]:
    """(found, value) of `name` as the notebook's fresh run left it: its last producer's capture,
    else the fitted-model oracle's (`prediction`, when the notebook never scores rows)."""
    for function in reversed(plan.functions):
        values = captured.values.get(function.name, {})
        if name in function.returns and name in values:
            return True, values[name]
    applied = captured.values.get(ORACLE, {}) if oracle else {}
    if name in applied:
        return True, applied[name]
    return False, None


def judge_predict(
    plan: Plan,
    setup: PredictSetup | str | None,
    run: PredictRun | None,
    expected: Captured,
) -> PredictCheck | None:
    """The predict path's verdict from the notebook's captures and the predict run.

    An equivalent path must also score a smaller batch of the same rows alike (the first
    SAMPLE_ROWS, as `tests/test_predict.py` replays them): a step that computes over the
    batch (a feature selection, a statistic) learns again from each batch, a production
    bug that the notebook's single batch cannot show.
    """
    check = _judge_predict(plan, setup, run, expected)
    if check is None or check.verdict is not Verdict.EQUIVALENT or run is None:
        return check
    why = _batch_dependence(run.outcome, check.predictions)
    if why is None:
        return check
    return replace(check, verdict=Verdict.DIFFERS, reason=why)


def _batch_dependence(outcome: Mapping[str, Any], predictions: tuple[str, ...]) -> str | None:
    """Why predict() on other batches of the same rows disagrees with the whole batch: the
    first rows alone, and rows drawn again with replacement; None when they agree."""
    output = outcome.get("output")
    if output is None or not hasattr(output, "iloc"):
        return None
    n = min(len(output), SAMPLE_ROWS)
    batches = [(f"the first {n} rows scored alone", outcome.get("sample"), list(range(n)))]
    for drawn, scored in outcome.get("resamples", ()):
        batches.append((f"{len(drawn)} of its rows drawn again", scored, list(drawn)))
    for what, batch, positions in batches:
        if batch is None:
            continue
        if isinstance(batch, str):
            return f"predict() fails on {what} (a step computes over the batch): {batch}"
        for name in predictions:
            if name not in getattr(output, "columns", ()) or name not in batch.columns:
                continue
            whole = output[name].iloc[positions].reset_index(drop=True)
            judged = judge(whole, batch[name].reset_index(drop=True))
            if not isinstance(judged, str) and judged.verdict != "equal":
                return (
                    f"predict() gives another {name} for {what} (a step computes over the "
                    "batch: train must record what it learns)"
                )
    return None


def _judge_predict(
    plan: Plan,
    setup: PredictSetup | str | None,
    run: PredictRun | None,
    expected: Captured,
) -> PredictCheck | None:
    if setup is None:
        return None
    if isinstance(setup, str):
        return PredictCheck(Verdict.UNVERIFIED, reason=setup)
    if run is None:
        return PredictCheck(Verdict.UNVERIFIED, reason="the package was not run")
    outcome, seconds = run.outcome, run.seconds
    stage = outcome.get("stage", "run")
    if stage not in ("done", "predict"):
        what = _STAGES.get(stage, "the predict check failed")
        return PredictCheck(
            Verdict.UNVERIFIED, reason=f"{what}: {outcome.get('error')}", seconds=seconds
        )
    rows = len(outcome.get("rows", ()))
    if outcome.get("oracle"):  # predict() scored the input's rows for the fitted-model oracle
        return _judge_fitted(setup, outcome, expected, rows, seconds)
    wanted = {n: notebook_value(plan, expected, n, oracle=False) for n in setup.outputs}
    missing = [n for n, (found, value) in wanted.items() if not found or marker(value)]
    if missing and setup.fitted and ORACLE in expected.values:
        # a prediction the notebook keeps inside a function (not returned): its own model,
        # applied in its kernel, is the oracle
        return _judge_fitted(setup, outcome, expected, rows, seconds)
    if missing:
        why = f"the notebook's fresh run did not give {', '.join(missing)}"
        return PredictCheck(Verdict.UNVERIFIED, reason=why, rows=rows, seconds=seconds)
    if stage == "predict":  # the notebook scored these rows; predict() cannot
        why = f"predict() fails on the rows the notebook scored: {outcome.get('error')}"
        return PredictCheck(Verdict.DIFFERS, reason=why, rows=rows, seconds=seconds)
    output = outcome["output"]
    trained = outcome.get("train_values", {})
    checks = [
        _prediction(name, value, output, trained.get(name)) for name, (_, value) in wanted.items()
    ]
    predicted = all(c.verdict is Verdict.EQUIVALENT for c in checks)
    for name in setup.decisions:
        found, value = notebook_value(plan, expected, name)
        if found and not marker(value):
            check = _decision(name, without_target(value, setup.target), output, rows)
            if check.verdict is Verdict.DIFFERS and not predicted:
                # decisions made from predictions that already disagree prove nothing more
                why = "follows from the predictions, which are not proved: " + check.detail
                check = ValueCheck(WHERE, name, Verdict.UNVERIFIED, why)
            checks.append(check)
    verdict = Verdict.combine((c.verdict for c in checks), none=Verdict.UNVERIFIED)
    first = next((c for c in checks if c.verdict is verdict), None)
    reason = (
        ""
        if verdict is Verdict.EQUIVALENT or first is None
        else f"{first.name}: {_one_line(first.detail)}"
    )
    return PredictCheck(verdict, tuple(checks), reason, rows, seconds, setup.outputs, setup.target)


def _judge_fitted(
    setup: PredictSetup, outcome: Mapping[str, Any], expected: Captured, rows: int, seconds: float
) -> PredictCheck:
    """predict() on the input's rows against the notebook's fitted model on its matrix."""
    oracle = expected.values.get(ORACLE, {})
    applied = setup.call

    def unverified(why: str) -> PredictCheck:
        return PredictCheck(
            Verdict.UNVERIFIED, reason=why, rows=rows, seconds=seconds, oracle=applied
        )

    if setup.column not in oracle:
        return unverified(f"the notebook's fresh run did not reach {applied} (after its fit)")
    want = prediction_array(oracle[setup.column])
    failed = marker(want)
    if failed:
        return unverified(f"{applied} fails in the notebook's kernel: {_one_line(failed)}")
    if outcome["stage"] == "predict":
        why = f"predict() fails on the rows of {setup.input!r}: {outcome.get('error')}"
        if outcome.get("from_array"):  # rows we made a frame of: not proof against predict
            return unverified(why + f" (made a frame of the array {setup.input!r})")
        return PredictCheck(Verdict.DIFFERS, reason=why, rows=rows, seconds=seconds, oracle=applied)
    where = setup.column
    output: Any = outcome["output"]
    matrix_got: Any = outcome.get("matrix")
    index: Any = getattr(oracle.get(ORACLE_MATRIX), "index", None)
    some_rows = hasattr(index, "isin") and hasattr(output, "index") and output.index.is_unique
    if some_rows and len(index) < len(output) and index.isin(output.index).all():
        # the notebook's matrix holds some of the rows (its training rows): those, by index
        output = output.loc[index]
        if hasattr(matrix_got, "loc") and index.isin(matrix_got.index).all():
            matrix_got = matrix_got.loc[index]
    got = prediction_values(output, where)
    if got is None:
        return unverified(f"predict()'s output has no column {where!r} (one value per input row)")
    if not hasattr(want, "__len__") or len(want) != len(got):
        size = len(want) if hasattr(want, "__len__") else "?"
        return unverified(
            f"{applied} gives {size} values, predict() {len(got)} rows: not the same rows"
        )
    if getattr(want, "shape", None) != getattr(got, "shape", None):
        # another shape is another value, not a difference in predict (`[:, 1]` of it)
        return unverified(
            f"{applied} has shape {getattr(want, 'shape', '?')}, predict()'s {where!r} "
            f"{getattr(got, 'shape', '?')}: not the same value"
        )
    judged = judge(want, got)
    if isinstance(judged, str):
        return unverified(f"{where}: {judged}")
    if judged.verdict == "equal":
        check = ValueCheck(WHERE, where, Verdict.EQUIVALENT)
        return PredictCheck(
            Verdict.EQUIVALENT, (check,), "", len(got), seconds, (where,), setup.target, applied
        )
    if judged.verdict != "differs":
        return unverified(f"{where}: {_one_line(judged.detail)}")
    # a difference is predict's only when the model it loaded is the notebook's: then either
    # the matrix it gave the model differs, or what it did with the model's output
    model = judge(oracle.get(ORACLE_MODEL), outcome.get("fitted_model"))
    if isinstance(model, str) or model.verdict != "equal":
        detail = model if isinstance(model, str) else model.detail
        return unverified(
            f"{where} differs, but training in the package does not give the notebook's "
            f"{setup.fitted} either (the model differs, not the predict path): {_one_line(detail)}"
        )
    matrix = judge(_numbers(oracle.get(ORACLE_MATRIX)), _numbers(matrix_got))
    if isinstance(matrix, str) or matrix.verdict not in ("equal", "differs"):
        why = matrix if isinstance(matrix, str) else matrix.detail
        return unverified(f"{where} differs; the matrices cannot be compared: {_one_line(why)}")
    if matrix.verdict == "differs":
        detail = f"the matrix predict() gives {setup.fitted} is not the notebook's {setup.matrix}: "
        detail += _one_line(matrix.detail)
    else:
        detail = (
            f"the notebook's {setup.fitted} on the same matrix gives other values: "
            + _one_line(judged.detail)
        )
    check = ValueCheck(WHERE, where, Verdict.DIFFERS, detail)
    reason = f"{where}: {check.detail}"
    return PredictCheck(
        Verdict.DIFFERS, (check,), reason, len(got), seconds, (where,), setup.target, applied
    )


def _numbers(value: Any) -> Any:
    """A matrix as a plain float array (the notebook's may be an array, predict's a frame)."""
    import numpy as np

    try:
        return np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        return value


def _prediction(name: str, notebook: Any, output: Any, trained: Any) -> ValueCheck:
    got = prediction_values(output, name)
    if got is None:
        return ValueCheck(
            WHERE, name, Verdict.DIFFERS, f"predict()'s output has no column {name!r}"
        )
    want = prediction_array(notebook)
    if not hasattr(want, "__len__"):
        return ValueCheck(WHERE, name, Verdict.UNVERIFIED, f"not one value per row: {want!r}"[:200])
    judged = judge(want, got)
    if isinstance(judged, str):
        return ValueCheck(WHERE, name, Verdict.UNVERIFIED, judged)
    if judged.verdict == "equal":
        return ValueCheck(WHERE, name, Verdict.EQUIVALENT)
    if judged.verdict == "differs" and len(want) != len(got):
        # predict() scored other rows than the notebook did (a step filters them): not proved
        why = f"the notebook scored {len(want)} rows, predict() {len(got)}: not the same rows"
        return ValueCheck(WHERE, name, Verdict.UNVERIFIED, why)
    if judged.verdict == "differs":
        control = judge(want, prediction_array(trained)) if trained is not None else None
        if control is None or isinstance(control, str) or control.verdict != "equal":
            why = (
                "training in the package does not give the notebook's predictions either "
                "(the model differs, not the predict path): " + judged.detail
            )
            return ValueCheck(WHERE, name, Verdict.UNVERIFIED, why)
        return ValueCheck(WHERE, name, Verdict.DIFFERS, judged.detail)
    return ValueCheck(WHERE, name, Verdict.UNVERIFIED, judged.detail)


def prediction_values(output: Any, name: str) -> Any:
    """A prediction as an array, from predict()'s output frame (`name`, or `name_0`, `name_1`...)."""
    columns = [str(c) for c in getattr(output, "columns", ())]
    if name in columns:
        return output[name].to_numpy()
    parts = [c for c in columns if c.startswith(name + "_") and c[len(name) + 1 :].isdigit()]
    if not parts:
        return None
    import numpy as np

    parts.sort(key=lambda c: int(c[len(name) + 1 :]))
    return np.column_stack([output[c].to_numpy() for c in parts])


def prediction_array(value: Any) -> Any:
    """A Series or list of predictions as the array predict()'s column holds."""
    if hasattr(value, "to_numpy") and not hasattr(value, "columns"):
        return value.to_numpy()
    if isinstance(value, list):
        import numpy as np

        return np.asarray(value)
    return value


def _decision(name: str, notebook: Any, output: Any, rows: int) -> ValueCheck:
    """A row-aligned value the business rules made, against predict()'s output."""
    if not hasattr(notebook, "__len__") or not hasattr(notebook, "index") or len(notebook) != rows:
        why = "not one row per scored row: predict() does not return it"
        return ValueCheck(WHERE, name, Verdict.DISPLAY, why)
    got = decision_of(output, notebook, name)
    if isinstance(got, str):
        return ValueCheck(WHERE, name, Verdict.DIFFERS, got)
    judged = judge(notebook, got)
    if isinstance(judged, str):
        return ValueCheck(WHERE, name, Verdict.DISPLAY, judged)
    verdict = {"equal": Verdict.EQUIVALENT, "differs": Verdict.DIFFERS}.get(
        judged.verdict, Verdict.UNVERIFIED
    )
    return ValueCheck(WHERE, name, verdict, judged.detail)


def without_target(value: Any, target: tuple[str, ...]) -> Any:
    """A business-rule frame without the target column(s) the notebook's rows carried: the
    rows predict() scores never have them."""
    columns = list(getattr(value, "columns", ()))
    lacking = [c for c in target if c in columns]
    return value.drop(columns=lacking) if lacking else value


def decision_of(output: Any, notebook: Any, name: str) -> Any:
    """What predict()'s output holds of a business-rule frame (its columns) or series (its
    column); a string: what it lacks."""
    columns = list(getattr(output, "columns", ()))
    if hasattr(notebook, "columns"):
        lacking = [c for c in notebook.columns if c not in columns]
        if lacking:
            return f"predict()'s output lacks the column(s) {', '.join(map(str, lacking[:5]))}"
        return output[list(notebook.columns)]
    if name in columns:
        return output[name].rename(notebook.name)
    return f"predict()'s output has no column {name!r}"


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())[:300]
