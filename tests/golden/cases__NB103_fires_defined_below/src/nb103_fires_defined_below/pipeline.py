"""The whole notebook as one call: `run(config) -> Results` (NB103_fires_defined_below.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb103_fires_defined_below.config import Config
from nb103_fires_defined_below.features import build_total


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    total: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    total = build_total(config)
    return Results(total=total)
