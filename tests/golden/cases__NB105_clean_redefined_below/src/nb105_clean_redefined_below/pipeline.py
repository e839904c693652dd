"""The whole notebook as one call: `run(config) -> Results` (NB105_clean_redefined_below.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb105_clean_redefined_below.config import Config
from nb105_clean_redefined_below.features import build_rate


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    price: Any = None
    rate: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    price, rate = build_rate(config)
    return Results(price=price, rate=rate)
