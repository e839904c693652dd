"""Parameters of the pipeline, taken from the notebook's literals (NB105_clean_redefined_below.ipynb).

Every field can be overridden on the command line: `python -m nb105_clean_redefined_below --rate VALUE`.
Relative paths resolve against `base_dir`, the notebook's folder.
It defaults to the current directory: run the package from there, or pass `--base-dir`.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Config:
    """Pipeline parameters; defaults are the notebook's values."""

    base_dir: str = "."  # the notebook's folder
    rate: float = 0.2  # rate, cell 0

    def path(self, value: str) -> str:
        """A path from the notebook, relative to `base_dir` unless absolute (as written by default)."""
        if os.path.isabs(value) or self.base_dir in ("", "."):
            return value
        return os.path.join(self.base_dir, value)

    @classmethod
    def from_args(cls, argv: list[str] | None = None) -> Config:
        """Build a Config from command-line options (`--field-name VALUE`)."""
        parser = argparse.ArgumentParser(
            prog="nb105_clean_redefined_below", description=__doc__.splitlines()[0]
        )
        for item in fields(cls):
            option = "--" + item.name.replace("_", "-")
            parser.add_argument(
                option,
                dest=item.name,
                type=str,
                default=None,
                help=f"default: {getattr(cls(), item.name)!r}",
            )
        args = parser.parse_args(argv)
        changes: dict[str, Any] = {}
        for item in fields(cls):
            text = getattr(args, item.name)
            if text is not None:
                try:
                    changes[item.name] = _parse(text, getattr(cls(), item.name))
                except ValueError as exc:
                    parser.error(f"--{item.name.replace('_', '-')}: {exc}")
        return replace(cls(), **changes)


@dataclass(frozen=True)
class Thresholds:
    """When `monitor` and `compare-models` raise the alarm (used where the package has
    `predict`). Edit the defaults here to tune them; `monitor` also takes `--psi-warn` and
    `--psi-alert`.

    PSI of a feature or of the predictions, batch against training: below `psi_warn` it has
    not moved, from `psi_warn` it is worth a look, above `psi_alert` it has drifted
    (`monitor --fail-on-drift` exits 3) if the batch also differs from training by more
    than sampling noise: a chi-square test of its bin counts at `drift_confidence`. Without
    it, a small batch's PSI crosses `psi_alert` by chance (about 9/n on average for n rows
    over 10 bins); such a feature is "unsure", too few rows to tell. A retrained model on
    the reference sample training froze: the predictions move by more than
    `prediction_tolerance` on average (absolute), or more than `decision_tolerance` of the
    rows change a decision: flagged (`compare-models --fail-on-change` exits 3, and
    tests/test_monitoring.py fails)."""

    psi_warn: float = 0.1
    psi_alert: float = 0.25
    # how sure the chi-square test must be that a batch moved (monitoring.beyond_noise)
    drift_confidence: float = 0.999
    recent_batches: int = 10  # the batches `monitor` averages PSI over
    prediction_tolerance: float = 0.05
    decision_tolerance: float = 0.05


def _parse(text: str, default: Any) -> Any:
    """Convert a command-line string to the type of the default value."""
    if isinstance(default, bool):
        return text.lower() in ("1", "true", "yes", "on")
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return type(default)(text)
    if isinstance(default, (list, tuple, dict)):
        value = json.loads(text)
        return tuple(value) if isinstance(default, tuple) else value
    return text


DEFAULTS = Config()
