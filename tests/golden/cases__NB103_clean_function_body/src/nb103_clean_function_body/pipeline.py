"""The whole notebook as one call: `run(config) -> Results` (NB103_clean_function_body.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass

from nb103_clean_function_body import features as _features_module
from nb103_clean_function_body.config import Config
from nb103_clean_function_body.features import build_features


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    pass


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    _features_module.price = config.price
    build_features()
    return Results()
