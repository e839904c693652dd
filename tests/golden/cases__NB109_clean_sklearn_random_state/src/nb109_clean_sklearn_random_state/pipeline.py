"""The whole notebook as one call: `run(config) -> Results` (NB109_clean_sklearn_random_state.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb109_clean_sklearn_random_state.config import Config
from nb109_clean_sklearn_random_state.model import (
    evaluate_linear_score,
    evaluate_y_test,
)


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    X_train: Any = None
    X_test: Any = None
    y_train: Any = None
    y_test: Any = None
    linear: Any = None
    forest: Any = None
    linear_score: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    X_train, X_test, y_train, y_test = evaluate_y_test()
    linear, forest, linear_score = evaluate_linear_score(
        X_train, y_train, X_test, y_test
    )
    return Results(
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        linear=linear,
        forest=forest,
        linear_score=linear_score,
    )
