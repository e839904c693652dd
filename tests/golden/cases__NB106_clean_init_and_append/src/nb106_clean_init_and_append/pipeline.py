"""The whole notebook as one call: `run(config) -> Results` (NB106_clean_init_and_append.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb106_clean_init_and_append.config import Config
from nb106_clean_init_and_append.features import build_items


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    items: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    items = build_items()
    return Results(items=items)
