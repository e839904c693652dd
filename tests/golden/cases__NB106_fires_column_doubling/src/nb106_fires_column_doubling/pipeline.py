"""The whole notebook as one call: `run(config) -> Results` (NB106_fires_column_doubling.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb106_fires_column_doubling.config import Config
from nb106_fires_column_doubling.features import build_df


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    df: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    df = build_df()
    return Results(df=df)
