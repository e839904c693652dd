"""The whole notebook as one call: `run(config) -> Results` (NB104_clean_time_cell_magic.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb104_clean_time_cell_magic.config import Config
from nb104_clean_time_cell_magic.features import build_squares


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    squares: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    squares = build_squares()
    return Results(squares=squares)
