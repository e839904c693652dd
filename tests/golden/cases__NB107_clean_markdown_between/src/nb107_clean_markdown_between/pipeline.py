"""The whole notebook as one call: `run(config) -> Results` (NB107_clean_markdown_between.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb107_clean_markdown_between.config import Config
from nb107_clean_markdown_between.features import build_x


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    x: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    x = build_x()
    return Results(x=x)
