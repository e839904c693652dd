"""The whole notebook as one call: `run(config) -> Results` (NB110_fires_exec.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass

from nb110_fires_exec.config import Config
from nb110_fires_exec.data import load_fh


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    pass


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    load_fh(config)
    return Results()
