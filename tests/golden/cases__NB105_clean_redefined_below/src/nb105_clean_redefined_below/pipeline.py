"""The whole notebook as one call: `run(config) -> Results` (NB105_clean_redefined_below.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb105_clean_redefined_below.config import Config
from nb105_clean_redefined_below.features import build_rate


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    price: Any = None
    rate: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    price, rate = build_rate(config)
    return Results(price=price, rate=rate)
