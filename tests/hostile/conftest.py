"""Hypothesis profiles for the property tests: `ci` (default, derandomized) and `long` (local).

Select with HYPOTHESIS_PROFILE=long; `long` generates 10,000 notebooks per property.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
# derandomized: the same examples on every run, so CI never fails on a draw it cannot repeat
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=_QUIET,
    print_blob=True,
)
settings.register_profile(
    "long", max_examples=10_000, deadline=None, suppress_health_check=_QUIET, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
