"""The whole notebook as one call: `run(config) -> Results` (NB102_fires_skipped_cell.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb102_fires_skipped_cell.config import Config
from nb102_fires_skipped_cell.data import load_df
from nb102_fires_skipped_cell.features import build_clean


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    df: Any = None
    clean: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    df = load_df(config)
    clean = build_clean(df)
    return Results(df=df, clean=clean)
