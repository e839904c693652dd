"""The whole notebook as one call: `run(config) -> Results` (NB104_clean_ipython_builtins.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb104_clean_ipython_builtins.config import Config
from nb104_clean_ipython_builtins.features import build_n_cols


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    df: Any = None
    n_rows: Any = None
    n_cols: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    df, n_rows, n_cols = build_n_cols()
    return Results(df=df, n_rows=n_rows, n_cols=n_cols)
