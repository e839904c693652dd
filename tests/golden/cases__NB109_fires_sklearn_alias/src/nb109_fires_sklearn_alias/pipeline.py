"""The whole notebook as one call: `run(config) -> Results` (NB109_fires_sklearn_alias.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb109_fires_sklearn_alias.config import Config
from nb109_fires_sklearn_alias.data import load_y
from nb109_fires_sklearn_alias.model import train_model


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    X: Any = None
    y: Any = None
    model: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    X, y = load_y()
    model = train_model(X, y)
    return Results(X=X, y=y, model=model)
