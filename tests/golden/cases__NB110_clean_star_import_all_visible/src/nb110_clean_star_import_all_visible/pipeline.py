"""The whole notebook as one call: `run(config) -> Results` (NB110_clean_star_import_all_visible.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb110_clean_star_import_all_visible.config import Config
from nb110_clean_star_import_all_visible.features import build_area


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    area: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    area = build_area(config)
    return Results(area=area)
