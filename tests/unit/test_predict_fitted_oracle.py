"""The fitted-model oracle's setup and verdict, without a kernel (issue #14, requirement 8).

A notebook that fits a model and never scores rows gets a setup that applies its own fitted
model, in its kernel, right after the fit, to the matrix predict gives the model. The verdict
from that capture and predict's outcome: equal predictions are "equivalent"; a difference is
"differs" only when the model predict loaded is the notebook's, else "unverified" with the
reason; whatever is missing or failed is "unverified", never "equivalent". The outcomes are
what `programs/predict_program.py` returns; the captures what the kernel's hooks write.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from nb2prod.convert.plan import Plan, make_plan
from nb2prod.core.vocabulary import Verdict
from nb2prod.notebook.load import load
from nb2prod.verify.capture import UNCAPTURABLE, Captured
from nb2prod.verify.predict_path import (
    ORACLE,
    ORACLE_MATRIX,
    ORACLE_MODEL,
    PredictRun,
    PredictSetup,
    judge_predict,
    notebook_value,
    predict_setup,
)

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
linear_model = pytest.importorskip("sklearn.linear_model")

NOTEBOOK = """# %%
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

# %%
df = pd.read_csv("points.csv")
df["ab"] = df["a"] * df["b"]
X = df[["a", "b", "ab"]]
y = df["label"]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
clf = LogisticRegression()
clf.fit(X_train, y_train)

# %%
coefficients = clf.coef_.ravel().tolist()
"""


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    """The notebook's plan, and a package folder that has the predict.py the check needs."""
    work = tmp_path_factory.mktemp("oracle")
    path = work / "fits_only.py"
    path.write_text(NOTEBOOK, "utf-8")
    plan = make_plan(load(str(path)))
    source = work / "pkg" / "src" / plan.package
    source.mkdir(parents=True)
    (source / "predict.py").write_text("", "utf-8")
    return plan, work / "pkg"


def test_a_notebook_that_never_scores_gets_the_fitted_model_as_oracle(
    planned: tuple[Plan, Path],
) -> None:
    plan, package = planned
    setup = predict_setup(plan, package)
    assert isinstance(setup, PredictSetup), setup
    # the model, applied to the rows before the split (predict's `X`), in the kernel
    assert (setup.fitted, setup.method, setup.matrix) == ("clf", "predict", "X")
    assert (setup.input, setup.held_out, setup.outputs) == ("df", "", ("prediction",))
    fit_cell = next(s.statement.cell for s in plan.statements if "clf.fit(" in s.statement.code)
    ((before, code),) = setup.injections()
    assert before == fit_cell + 1  # right after the fit, before the notebook can rebind X
    call = ast.parse(code).body[0]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    assert ast.unparse(call.value.func) == "__nb2prod_capture__"
    assert "clf.predict(X)" in code


def test_a_setup_of_scored_rows_injects_nothing() -> None:
    assert PredictSetup("df", "X_test", ("proba_test",), (), ("default",)).injections() == []


ROWS = pd.DataFrame({"a": [0.5, -1.0, 2.0, 0.1], "b": [1.0, 0.2, -0.3, 0.4]})


def _matrix(rows: Any) -> Any:
    return rows.assign(ab=rows["a"] * rows["b"])[["a", "b", "ab"]]


def _model(c: float = 1.0) -> Any:
    labels = np.array([1, 0, 1, 0])
    return linear_model.LogisticRegression(C=c).fit(_matrix(ROWS), labels)


MODEL = _model()
PREDICTED = MODEL.predict(_matrix(ROWS))


def _captured(prediction: Any = PREDICTED, model: Any = MODEL) -> Captured:
    oracle = {"prediction": prediction, ORACLE_MODEL: model, ORACLE_MATRIX: _matrix(ROWS)}
    return Captured({ORACLE: oracle}, ())


def _done(prediction: Any = PREDICTED, model: Any = MODEL, matrix: Any = None) -> dict[str, Any]:
    return {
        "stage": "done",
        "rows": ROWS,
        "output": ROWS.assign(prediction=prediction),
        "fitted_model": model,
        "matrix": _matrix(ROWS) if matrix is None else matrix,
        "oracle": True,  # predict() scored every row read, for the oracle
    }


def _judge(plan: Plan, setup: PredictSetup, outcome: dict[str, Any], captured: Captured) -> Any:
    run = PredictRun(plan, Path("."), Path("."), setup, Path("."), None)
    run.outcome = outcome
    return judge_predict(plan, setup, run, captured)


SHIFTED = _matrix(ROWS).assign(ab=lambda m: m["ab"] + 5.0)
# (predict's outcome, the kernel's capture, verdict, words in the reason)
CASES = {
    "same": (_done(), _captured(), "equivalent", ""),
    "matrix-off": (_done(1 - PREDICTED, matrix=SHIFTED), _captured(), "differs", "the matrix"),
    "output-off": (_done(1 - PREDICTED), _captured(), "differs", "on the same matrix"),
    "model-off": (
        _done(1 - PREDICTED, model=_model(c=1e-6)),
        _captured(),
        "unverified",
        "the model differs, not the predict path",
    ),
    "training-rows-by-index": (
        {**_done(), "rows": pd.concat([ROWS, ROWS.set_axis([10, 11, 12, 13])])}
        | {
            "output": pd.concat([ROWS, ROWS.set_axis([10, 11, 12, 13])]).assign(
                prediction=np.concatenate([PREDICTED, 1 - PREDICTED])
            )
        },
        _captured(),
        "equivalent",
        "",
    ),
    "shape-off": (
        _done(),
        _captured(prediction=MODEL.predict_proba(_matrix(ROWS))),
        "unverified",
        "not the same value",
    ),
    "not-reached": (_done(), Captured({}, ()), "unverified", "did not reach clf.predict(X)"),
    "fails-in-kernel": (
        _done(),
        _captured(prediction=f"{UNCAPTURABLE}: ValueError: X has 2 features"),
        "unverified",
        "fails in the notebook's kernel: ValueError",
    ),
    "other-rows": (
        {**_done(), "output": ROWS.iloc[:3].assign(prediction=PREDICTED[:3])},
        _captured(),
        "unverified",
        "not the same rows",
    ),
    "no-column": ({**_done(), "output": ROWS}, _captured(), "unverified", "no column"),
    "predict-fails-on-a-frame": (
        {
            "stage": "predict",
            "error": "KeyError: 'a'",
            "rows": ROWS,
            "from_array": False,
            "oracle": True,
        },
        _captured(),
        "differs",
        "predict() fails",
    ),
    "predict-fails-on-an-array-made-frame": (
        {
            "stage": "predict",
            "error": "KeyError: 'a'",
            "rows": ROWS,
            "from_array": True,
            "oracle": True,
        },
        _captured(),
        "unverified",
        "made a frame of the array",
    ),
    "train-fails": (
        {"stage": "train", "error": "AttributeError: np.infty"},
        _captured(),
        "unverified",
        "train() failed",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_verdict(planned: tuple[Plan, Path], case: str) -> None:
    plan, package = planned
    setup = predict_setup(plan, package)
    assert isinstance(setup, PredictSetup)
    outcome, captured, verdict, words = CASES[case]
    check = _judge(plan, setup, outcome, captured)
    assert check is not None and str(check.verdict) == verdict, check
    assert words in check.reason, check.reason
    if check.verdict is not Verdict.EQUIVALENT:
        assert check.reason and not check.line().startswith("predict path: equivalent")
    # the same input gives the same verdict every time
    assert _judge(plan, setup, outcome, captured) == check


def test_the_generated_test_reads_the_oracle_as_the_notebook_value(
    planned: tuple[Plan, Path],
) -> None:
    plan, _ = planned
    found, value = notebook_value(plan, _captured(), "prediction")
    assert found and value is PREDICTED
    assert notebook_value(plan, Captured({}, ()), "prediction") == (False, None)


ARRAYS = """# %%
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

# %%
rng = np.random.default_rng(0)
X = rng.normal(size=(100, 2))
y = (X[:, 0] > 0).astype(int)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
clf = LogisticRegression()
clf.fit(X_train, y_train)

# %%
y_pred = clf.predict(X_test)
proba = clf.predict_proba(X_test)[:, 1]
"""


def test_held_out_rows_without_an_index_get_the_oracle_beside(tmp_path: Path) -> None:
    """Arrays split by train_test_split lead back to no rows of the input: the notebook's
    model on `X` (all rows) is there for when the held-out rows cannot be had."""
    path = tmp_path / "arrays.py"
    path.write_text(ARRAYS, "utf-8")
    plan = make_plan(load(str(path)))
    (tmp_path / "pkg" / "src" / plan.package).mkdir(parents=True)
    (tmp_path / "pkg" / "src" / plan.package / "predict.py").write_text("", "utf-8")
    setup = predict_setup(plan, tmp_path / "pkg")
    assert isinstance(setup, PredictSetup), setup
    assert (setup.held_out, setup.outputs) == ("X_test", ("y_pred", "proba"))  # scored rows first
    assert (setup.fitted, setup.method, setup.matrix, setup.column) == (
        "clf",
        "predict",
        "X",
        "y_pred",
    )
    assert not setup.oracle_only
    # the notebook's own scoring expression, on predict's matrix (X_test -> X)
    assert setup.call == "clf.predict(X)"
    # predict() scored every row for the oracle: its `y_pred` column against clf.predict(X)
    rows = pd.DataFrame({"x0": ROWS["a"], "x1": ROWS["b"]})
    model = linear_model.LogisticRegression().fit(rows.to_numpy(), [1, 0, 1, 0])
    predicted = model.predict(rows.to_numpy())
    outcome = {
        "stage": "done",
        "rows": rows,
        "output": rows.assign(y_pred=predicted),
        "fitted_model": model,
        "matrix": rows,
        "oracle": True,
    }
    oracle = {"y_pred": predicted, ORACLE_MODEL: model, ORACLE_MATRIX: rows.to_numpy()}
    captured = Captured({ORACLE: oracle}, ())
    check = _judge(plan, setup, outcome, captured)
    assert check is not None and check.verdict is Verdict.EQUIVALENT, check
    assert check.line().startswith(
        "predict path: equivalent (y_pred against the notebook's clf.predict(X)"
    )


def test_the_scoring_expression_is_the_notebooks_own(tmp_path: Path) -> None:
    """`proba = clf.predict_proba(X_test)[:, 1]` is scored as written, on predict's `X`: the
    column of the probabilities, not the whole matrix of them."""
    path = tmp_path / "proba.py"
    path.write_text(ARRAYS.replace("y_pred = clf.predict(X_test)\n", ""), "utf-8")
    plan = make_plan(load(str(path)))
    (tmp_path / "pkg" / "src" / plan.package).mkdir(parents=True)
    (tmp_path / "pkg" / "src" / plan.package / "predict.py").write_text("", "utf-8")
    setup = predict_setup(plan, tmp_path / "pkg")
    assert isinstance(setup, PredictSetup), setup
    assert (setup.column, setup.call) == ("proba", "clf.predict_proba(X)[:, 1]")
    ((_, code),) = setup.injections()
    assert "lambda: clf.predict_proba(X)[:, 1]" in code
