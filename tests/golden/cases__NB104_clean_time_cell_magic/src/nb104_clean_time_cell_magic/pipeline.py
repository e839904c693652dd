"""The whole notebook as one call: `run(config) -> Results` (NB104_clean_time_cell_magic.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb104_clean_time_cell_magic.config import Config
from nb104_clean_time_cell_magic.features import build_squares


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    squares: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    squares = build_squares()
    return Results(squares=squares)
