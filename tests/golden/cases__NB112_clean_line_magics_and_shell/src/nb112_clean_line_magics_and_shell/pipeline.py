"""The whole notebook as one call: `run(config) -> Results` (NB112_clean_line_magics_and_shell.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass

from nb112_clean_line_magics_and_shell.config import Config


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    pass


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    return Results()
