"""The whole notebook as one call: `run(config) -> Results` (NB106_fires_augmented.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb106_fires_augmented.config import Config
from nb106_fires_augmented.features import build_total_sales


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    total_sales: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    total_sales = build_total_sales()
    return Results(total_sales=total_sales)
