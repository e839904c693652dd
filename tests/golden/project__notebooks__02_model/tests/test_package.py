"""Structural tests of the generated package (equivalence tests come from `nb2prod verify`)."""

from __future__ import annotations

import importlib

import pytest

from nb_02_model.config import Config


@pytest.mark.parametrize(
    "module", ["config", "pipeline", "data", "features", "model", "business"]
)
def test_module_imports(module: str) -> None:
    importlib.import_module(f"nb_02_model.{module}")


def test_config_defaults_are_the_notebook_values() -> None:
    config = Config()
    assert config.base_dir == "."
    assert config.min_weeks == 10
    assert config.elasticity_limit == -1.0


def test_config_overrides_from_the_command_line() -> None:
    config = Config.from_args(["--base-dir", "elsewhere"])
    assert config.base_dir == "elsewhere"
