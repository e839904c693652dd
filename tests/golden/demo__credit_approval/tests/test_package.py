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


# Every function that reads a config field binds the notebook's name from the `config` it is
# given, when it is called: (field, notebook name, module, function, its config parameter, path)
READERS = [
    ("data_dir", "DATA_DIR", "data", "locate_data_path", "config", False),
    ("data_dir", "DATA_DIR", "data", "load_data", "config", False),
    ("n_applicants", "N_APPLICANTS", "data", "load_data", "config", False),
    ("seed", "SEED", "data", "load_data", "config", False),
    ("seed", "SEED", "model", "train_model", "config", False),
    ("test_size", "TEST_SIZE", "model", "train_model", "config", False),
    ("pd_threshold", "PD_THRESHOLD", "business", "decide", "config", False),
    ("max_loan_to_income", "MAX_LOAN_TO_INCOME", "business", "decide", "config", False),
    ("lgd", "LGD", "business", "decide", "config", False),
    ("age_bins", "AGE_BINS", "features", "add_age_bucket", "config", False),
    ("age_labels", "AGE_LABELS", "features", "add_age_bucket", "config", False),
    ("features", "FEATURES", "features", "build_features", "config", False),
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
    target = getattr(importlib.import_module(f"credit_approval.{module}"), function)
    expected = (
        config.path(getattr(config, field)) if is_path else getattr(config, field)
    )
    received = _bound_on_entry(target, parameter, config, name)
    assert (
        received == expected
    ), f"{function}() did not receive --{field.replace('_', '-')}"
    assert received != default
