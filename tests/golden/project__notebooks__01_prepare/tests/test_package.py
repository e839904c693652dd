"""Structural tests of the generated package (equivalence tests come from `nb2prod verify`)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

from nb_01_prepare.config import Config


@pytest.mark.parametrize("module", ["config", "pipeline", "data", "features"])
def test_module_imports(module: str) -> None:
    importlib.import_module(f"nb_01_prepare.{module}")


def test_config_defaults_are_the_notebook_values() -> None:
    config = Config()
    assert config.base_dir == "."


def test_config_overrides_from_the_command_line() -> None:
    config = Config.from_args(["--base-dir", "elsewhere"])
    assert config.base_dir == "elsewhere"


# The project root, where the notebook's relative paths start (base_dir), seen from the folder
# nb2prod wrote this package to (adjust it when the package moves).
PROJECT_ROOT = Path(__file__).resolve().parents[1] / "../.."


@pytest.mark.parametrize(
    "path", ["data/processed/sales_features.csv", "data/raw/sales.csv"]
)
def test_the_notebook_files_are_found_from_the_project_root(path: str) -> None:
    found = Config(base_dir=str(PROJECT_ROOT)).path(path)
    assert os.path.isfile(found), f"{path} is not in {PROJECT_ROOT.resolve()}"
