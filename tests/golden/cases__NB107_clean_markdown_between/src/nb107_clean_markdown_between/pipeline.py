"""The whole notebook as one call: `run(config) -> Results` (NB107_clean_markdown_between.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb107_clean_markdown_between.config import Config
from nb107_clean_markdown_between.features import build_x


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    x: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    x = build_x()
    return Results(x=x)
