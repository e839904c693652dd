"""The whole notebook as one call: `run(config) -> Results` (NB103_fires_defined_below.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb103_fires_defined_below.config import Config
from nb103_fires_defined_below.features import build_total


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    total: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    total = build_total(config)
    return Results(total=total)
