"""The whole notebook as one call: `run(config) -> Results` (NB111_clean_relative_and_url.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb111_clean_relative_and_url.config import Config
from nb111_clean_relative_and_url.data import load_tips


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    sales: Any = None
    tips: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    sales, tips = load_tips(config)
    return Results(sales=sales, tips=tips)
