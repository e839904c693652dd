"""The whole notebook as one call: `run(config) -> Results` (NB109_clean_torch_manual_seed.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb109_clean_torch_manual_seed.config import Config
from nb109_clean_torch_manual_seed.features import build_weights


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    weights: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    weights = build_weights()
    return Results(weights=weights)
