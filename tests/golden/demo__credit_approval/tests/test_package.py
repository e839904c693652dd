"""Structural tests of the generated package (equivalence tests come from `nb2prod verify`)."""

from __future__ import annotations

import importlib

import pytest

from credit_approval.config import Config


@pytest.mark.parametrize(
    "module", ["config", "pipeline", "data", "features", "model", "business"]
)
def test_module_imports(module: str) -> None:
    importlib.import_module(f"credit_approval.{module}")


def test_config_defaults_are_the_notebook_values() -> None:
    config = Config()
    assert config.base_dir == "."
    assert config.data_dir == "data"
    assert config.n_applicants == 2000
    assert config.seed == 42
    assert config.test_size == 0.25
    assert config.pd_threshold == 0.2
    assert config.max_loan_to_income == 0.5
    assert config.lgd == 0.45
    assert config.age_bins == [17, 25, 35, 50, 65, 120]
    assert config.age_labels == ["18-25", "26-35", "36-50", "51-65", "65+"]
    assert config.features == [
        "income",
        "debt",
        "age",
        "employment_years",
        "num_late_payments",
        "loan_amount",
        "debt_to_income",
        "loan_to_income",
        "log_income",
    ]


def test_config_overrides_from_the_command_line() -> None:
    config = Config.from_args(["--base-dir", "elsewhere"])
    assert config.base_dir == "elsewhere"
