"""The whole notebook as one call: `run(config) -> Results` (NB102_clean_never_run.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb102_clean_never_run.config import Config
from nb102_clean_never_run.data import load_df
from nb102_clean_never_run.features import build_clean


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    df: Any = None
    clean: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    df = load_df(config)
    clean = build_clean(df)
    return Results(df=df, clean=clean)
