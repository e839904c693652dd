"""The whole notebook as one call: `run(config) -> Results` (01_prepare.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb_01_prepare.config import Config
from nb_01_prepare.data import load, load_features
from nb_01_prepare.features import clean


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    raw: Any = None
    sales: Any = None
    features: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    raw = load(config)
    sales = clean(raw)
    features = load_features(sales, config)
    return Results(raw=raw, sales=sales, features=features)
