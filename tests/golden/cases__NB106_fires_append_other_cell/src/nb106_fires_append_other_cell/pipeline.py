"""The whole notebook as one call: `run(config) -> Results` (NB106_fires_append_other_cell.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb106_fires_append_other_cell.config import Config
from nb106_fires_append_other_cell.features import build_scores


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    scores: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    scores = build_scores()
    return Results(scores=scores)
