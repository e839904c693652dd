"""The whole notebook as one call: `run(config) -> Results` (NB109_fires_sklearn_alias.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb109_fires_sklearn_alias.config import Config
from nb109_fires_sklearn_alias.data import load_y
from nb109_fires_sklearn_alias.model import train_model_score


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    X: Any = None
    y: Any = None
    model: Any = None
    model_score: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    X, y = load_y()
    model, model_score = train_model_score(X, y)
    return Results(X=X, y=y, model=model, model_score=model_score)
