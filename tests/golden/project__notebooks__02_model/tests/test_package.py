"""Structural tests of the generated package (equivalence tests come from `nb2prod verify`)."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from nb_02_model.config import Config


@pytest.mark.parametrize("module", ["config", "pipeline", "data", "model", "business"])
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


# The project root, where the notebook's relative paths start (base_dir), seen from the folder
# nb2prod wrote this package to (adjust it when the package moves).
PROJECT_ROOT = Path(__file__).resolve().parents[1] / "../.."


@pytest.mark.parametrize("path", ["data/processed/sales_features.csv"])
def test_the_notebook_files_are_found_from_the_project_root(path: str) -> None:
    found = Config(base_dir=str(PROJECT_ROOT)).path(path)
    assert os.path.isfile(found), f"{path} is not in {PROJECT_ROOT.resolve()}"


# Every function that reads a config field binds the notebook's name from the `config` it is
# given, when it is called: (field, notebook name, module, function, its config parameter, path)
READERS = [
    ("min_weeks", "MIN_WEEKS", "data", "load_data", "config", False),
    (
        "elasticity_limit",
        "ELASTICITY_LIMIT",
        "business",
        "apply_pricing_decision",
        "config",
        False,
    ),
]


class _Reached(Exception):
    """The function bound the name: the rest of it is not run."""


def _changed(value: Any) -> Any:
    """A value of the same type that differs from `value`."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, (list, tuple)):
        return type(value)([*value, "changed"])
    if isinstance(value, dict):
        return {**value, "changed": True}
    if isinstance(value, (set, frozenset)):
        return type(value)({*value, "changed"})
    return object()


def _bound_on_entry(
    function: Callable[..., Any], parameter: str, config: Config, name: str
) -> Any:
    """Call `function` with `config` (every other argument None) until it binds `name`."""
    seen: dict[str, Any] = {}

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if name in frame.f_locals:
            seen["value"] = frame.f_locals[name]
            raise _Reached
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code is function.__code__ else None

    arguments = {
        p.name: config if p.name == parameter else None
        for p in inspect.signature(function).parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    sys.settrace(tracer)
    try:
        result = function(**arguments)
        if inspect.isgenerator(result):
            next(result)
    except _Reached:
        pass
    finally:
        sys.settrace(None)
    assert "value" in seen, f"{function.__name__}() never bound {name}"
    return seen["value"]


@pytest.mark.parametrize(
    ("field", "name", "module", "function", "parameter", "is_path"),
    READERS,
    ids=[f"{r[0]}-{r[3]}" for r in READERS],
)
def test_config_field_reaches_the_code(
    field: str, name: str, module: str, function: str, parameter: str, is_path: bool
) -> None:
    default = getattr(Config(), field)
    config = replace(Config(), **{field: _changed(default)})
    target = getattr(importlib.import_module(f"nb_02_model.{module}"), function)
    expected = (
        config.path(getattr(config, field)) if is_path else getattr(config, field)
    )
    received = _bound_on_entry(target, parameter, config, name)
    assert (
        received == expected
    ), f"{function}() did not receive --{field.replace('_', '-')}"
    assert received != default
