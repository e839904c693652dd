"""The whole notebook as one call: `run(config) -> Results` (NB104_clean_time_line_magic.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb104_clean_time_line_magic.config import Config
from nb104_clean_time_line_magic.model import evaluate_result


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    result: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    result = evaluate_result()
    return Results(result=result)
