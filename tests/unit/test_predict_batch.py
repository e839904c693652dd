"""The predict path must score rows alike in any batch (verify/predict_path.py): a step that
computes over the batch, which the notebook's single batch cannot show, makes it "differs"."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nb2prod.verify.predict_path import _batch_dependence

WHOLE = pd.DataFrame({"x": np.arange(300.0), "prediction": np.arange(300.0) * 2})


def _outcome(first: object, drawn: np.ndarray, again: object) -> dict[str, object]:
    return {"output": WHOLE, "sample": first, "resamples": [(drawn, again)]}


def test_rows_scored_alike_in_every_batch_are_fine() -> None:
    drawn = np.array([5, 5, 299, 0])
    again = WHOLE.iloc[drawn].reset_index(drop=True)
    assert _batch_dependence(_outcome(WHOLE.iloc[:200], drawn, again), ("prediction",)) is None


def test_a_prediction_that_depends_on_the_batch_differs() -> None:
    drawn = np.array([5, 5, 299, 0])
    again = WHOLE.iloc[drawn].reset_index(drop=True)
    again["prediction"] = again["prediction"] - again["prediction"].mean()  # centred per batch
    why = _batch_dependence(_outcome(WHOLE.iloc[:200], drawn, again), ("prediction",))
    assert why is not None and "4 of its rows drawn again" in why and "prediction" in why


def test_a_batch_predict_cannot_score_differs() -> None:
    why = _batch_dependence(
        _outcome("KeyError: 'x'", np.array([1]), WHOLE.iloc[[1]]), ("prediction",)
    )
    assert why is not None and "first 200 rows" in why and "KeyError" in why
