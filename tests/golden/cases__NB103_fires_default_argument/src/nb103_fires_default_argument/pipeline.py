"""The whole notebook as one call: `run(config) -> Results` (NB103_fires_default_argument.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass

from nb103_fires_default_argument import features as _features_module
from nb103_fires_default_argument.config import Config
from nb103_fires_default_argument.features import build_features


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    pass


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    _features_module.FACTOR = config.factor
    build_features()
    return Results()
