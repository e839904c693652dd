"""The whole notebook as one call: `run(config) -> Results` (NB104_clean_shell_assign.ipynb).

Functions are called in the notebook's order, each given the run's `config` when it reads
it; the values they return are the fields of `Results` (figures and axes aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nb104_clean_shell_assign.config import Config
from nb104_clean_shell_assign.features import build_csv_files


@dataclass
class Results:
    """Values computed by the pipeline: what its steps return, figures and axes aside."""

    files: Any = None
    csv_files: Any = None


def run(config: Config | None = None) -> Results:
    """Run the pipeline with `config` (the notebook's values by default)."""
    config = config if config is not None else Config()
    files, csv_files = build_csv_files()
    return Results(files=files, csv_files=csv_files)
