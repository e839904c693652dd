"""The whole notebook as one call: `run(config) -> Results` (NB109_fires_stdlib_random.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb109_fires_stdlib_random.config import Config
from nb109_fires_stdlib_random.features import build_dice


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    dice: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    dice = build_dice()
    return Results(dice=dice)
