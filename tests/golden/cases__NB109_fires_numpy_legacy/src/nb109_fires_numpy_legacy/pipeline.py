"""The whole notebook as one call: `run(config) -> Results` (NB109_fires_numpy_legacy.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb109_fires_numpy_legacy.config import Config
from nb109_fires_numpy_legacy.features import build_noise


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    noise: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    noise = build_noise()
    return Results(noise=noise)
