"""The whole notebook as one call: `run(config) -> Results` (NB103_clean_function_body.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass

from nb103_clean_function_body.config import Config
from nb103_clean_function_body.features import build_features


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    pass


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    build_features(config)
    return Results()
