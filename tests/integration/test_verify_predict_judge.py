"""The predict verdict from a predict run's outcome and the notebook's captures (no kernel).

The demo's plan names the values; the outcomes are what `programs/predict_program.py`
returns. "differs" needs the package's own training to give the notebook's predictions
(else the model differs, not the predict path: unverified), and whatever failed is
unverified with the reason, never equivalent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nb2prod.convert.plan import Plan, make_plan
from nb2prod.core.vocabulary import Verdict
from nb2prod.notebook.load import load
from nb2prod.verify.capture import Captured
from nb2prod.verify.predict_path import PredictRun, PredictSetup, judge_predict, predict_setup

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return make_plan(load(str(DEMO)))


@pytest.fixture(scope="module")
def setup(plan: Plan) -> PredictSetup:
    made = predict_setup(plan, ROOT / "no-such-package")
    assert made == "the package has no predict.py to run"  # the check needs the package
    # the setup as the boundary gives it, for a package that has predict.py
    return PredictSetup("df", "X_test", ("proba_test",), ("scored", "summary"), ("default",))


PROBA = np.array([0.1, 0.3, 0.05])
INDEX = pd.Index([7, 3, 11])


def _scored(approved: list[bool]) -> Any:
    return pd.DataFrame(
        {"income": [1.0, 2.0, 3.0], "default": [0, 1, 0], "approved": approved}, index=INDEX
    )


def _captured(proba: Any = PROBA) -> Captured:
    values = {
        "train_model": {"proba_test": proba},
        "apply_business_rules": {"scored": _scored([True, False, True]), "summary": 1.0},
    }
    return Captured(values, ())


def _run(plan: Plan, setup: PredictSetup, outcome: dict[str, Any]) -> PredictRun:
    run = PredictRun(plan, Path("."), Path("."), setup, Path("."), None)
    run.outcome = outcome
    return run


def _done(proba: Any, approved: list[bool], trained: Any = PROBA) -> dict[str, Any]:
    output = _scored(approved).drop(columns=["default"]).assign(proba_test=proba)
    rows = output[["income"]]
    return {
        "stage": "done",
        "rows": rows,
        "output": output,
        "train_values": {"proba_test": trained},
    }


# (outcome, notebook's proba_test, verdict, words in the reason)
CASES = {
    "same": (_done(PROBA, [True, False, True]), PROBA, "equivalent", ""),
    "proba-off": (_done(PROBA + 0.2, [True, False, True]), PROBA, "differs", "proba_test"),
    "model-off": (
        _done(PROBA + 0.2, [True, False, True], trained=PROBA + 0.2),
        PROBA,
        "unverified",
        "the model differs",
    ),
    "decision-off": (_done(PROBA, [True, True, True]), PROBA, "differs", "scored"),
    "train-failed": ({"stage": "train", "error": "KeyError: 'x'"}, PROBA, "unverified", "train()"),
    "predict-failed": (
        {"stage": "predict", "error": "ValueError: no", "rows": [1, 2, 3]},
        PROBA,
        "differs",
        "predict() fails",
    ),
    "timeout": ({"stage": "timeout", "error": "timed out"}, PROBA, "unverified", "timed out"),
    "notebook-stopped": (_done(PROBA, [True, False, True]), None, "unverified", "did not give"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_predict_verdict(plan: Plan, setup: PredictSetup, case: str) -> None:
    outcome, proba, verdict, words = CASES[case]
    captured = _captured(proba)
    if proba is None:  # the notebook's fresh run stopped before its predictions
        captured = Captured({}, ())
    check = judge_predict(plan, setup, _run(plan, setup, outcome), captured)
    assert check is not None
    assert check.verdict == Verdict(verdict), check
    assert words in check.reason, check
    if verdict == "equivalent":
        assert check.line().startswith("predict path: equivalent (proba_test, scored on the 3")
        # the target the notebook's frame carries is never asked of predict's output
        assert {c.name: c.verdict for c in check.compared}["summary"] is Verdict.DISPLAY
    else:
        assert check.line() == f"predict path: {verdict}: {check.reason}"


def test_no_predict_path_is_unverified_with_the_reason(plan: Plan) -> None:
    check = judge_predict(plan, "no predict.py: cell 3: reads the target", None, _captured())
    assert check is not None and check.verdict is Verdict.UNVERIFIED
    assert check.line() == "predict path: unverified: no predict.py: cell 3: reads the target"
    assert judge_predict(plan, None, None, _captured()) is None  # nothing fitted: no line
