"""The whole notebook as one call: `run(config) -> Results` (NB111_fires_home_and_windows.ipynb).

Functions are called in the notebook's order; every value passed between them is a
field of `Results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb111_fires_home_and_windows.config import Config
from nb111_fires_home_and_windows.data import load_header


@dataclass
class Results:
    """Values computed by the pipeline (the ones that cross function boundaries)."""

    header: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    header = load_header()
    return Results(header=header)
