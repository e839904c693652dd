"""The whole notebook as one call: `run(config) -> Results` (NB106_clean_init_and_append.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb106_clean_init_and_append.config import Config
from nb106_clean_init_and_append.features import build_items


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    items: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    items = build_items()
    return Results(items=items)
