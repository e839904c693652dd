"""Structural tests of the generated package (equivalence tests come from `nb2prod verify`)."""

from __future__ import annotations

import importlib

import pytest

from nb109_clean_sklearn_random_state.config import Config


@pytest.mark.parametrize("module", ["config", "pipeline", "model"])
def test_module_imports(module: str) -> None:
    importlib.import_module(f"nb109_clean_sklearn_random_state.{module}")


def test_config_defaults_are_the_notebook_values() -> None:
    config = Config()
    assert config.base_dir == "."


def test_config_overrides_from_the_command_line() -> None:
    config = Config.from_args(["--base-dir", "elsewhere"])
    assert config.base_dir == "elsewhere"
