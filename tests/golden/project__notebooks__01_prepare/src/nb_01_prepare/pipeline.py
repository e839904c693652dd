"""The whole notebook as one call: `run(config) -> Results` (01_prepare.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb_01_prepare.config import Config
from nb_01_prepare.data import load, load_features
from nb_01_prepare.features import build_features, clean


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    raw: Any = None
    sales: Any = None
    features: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    raw = load(config)
    sales = clean(raw)
    features = build_features(sales)
    load_features(features, config)
    return Results(raw=raw, sales=sales, features=features)
