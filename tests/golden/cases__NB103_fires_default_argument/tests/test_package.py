"""Structural tests of the generated package (equivalence tests come from `nb2prod verify`)."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from dataclasses import replace
from types import FrameType
from typing import Any

import pytest

from nb103_fires_default_argument.config import Config


@pytest.mark.parametrize("module", ["config", "pipeline", "features"])
def test_module_imports(module: str) -> None:
    importlib.import_module(f"nb103_fires_default_argument.{module}")


def test_config_defaults_are_the_notebook_values() -> None:
    config = Config()
    assert config.base_dir == "."
    assert config.factor == 2


def test_config_overrides_from_the_command_line() -> None:
    config = Config.from_args(["--base-dir", "elsewhere"])
    assert config.base_dir == "elsewhere"


# Every function that reads a config field binds the notebook's name from the `config` it is
# given, when it is called: (field, notebook name, module, function, its config parameter, path)
READERS = [
    ("factor", "FACTOR", "features", "scale", "config", False),
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
    target = getattr(
        importlib.import_module(f"nb103_fires_default_argument.{module}"), function
    )
    expected = (
        config.path(getattr(config, field)) if is_path else getattr(config, field)
    )
    received = _bound_on_entry(target, parameter, config, name)
    assert (
        received == expected
    ), f"{function}() did not receive --{field.replace('_', '-')}"
    assert received != default
