"""The generated package's data contracts (templates/contracts.py.j2) and matrix gate
(templates/gate.py.j2), rendered for the profile of a real frame.

The frame is the demo notebook's applicants, made by the notebook's own generator
(sample_notebooks/demo/credit_approval.ipynb), with a text column of few values, a ratio and
the notebook's age buckets added so that every kind of check is generated. The rendered
modules are used as a generated package uses them: the notebook's data and a larger batch of
the same source pass; each kind of upstream change is reported, all of them in one error.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nb2prod.convert.contracts import (
    MARGIN,
    ColumnKind,
    ColumnProfile,
    FrameProfile,
    column_contract,
    contracts_context,
    profile_frame,
)
from nb2prod.convert.render import render_template

pytest.importorskip("pandera")  # a dependency of generated packages, not of nb2prod

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "sample_notebooks" / "demo" / "credit_approval.ipynb"
# pandas ships no type information; pandera does
MYPY_INI = (
    "[mypy]\nstrict = True\npython_version = 3.10\n[mypy-pandas.*]\nignore_missing_imports = True\n"
)
PURPOSES = ("car", "education", "home", "other")


def _generator() -> Callable[[int, int], pd.DataFrame]:
    """The demo notebook's `generate_applicants`, from its own cell."""
    cells = json.loads(DEMO.read_text(encoding="utf-8"))["cells"]
    source = next(
        "".join(c["source"]) for c in cells if "def generate_applicants" in "".join(c["source"])
    )
    namespace: dict[str, Any] = {"np": np, "pd": pd}
    exec(source, namespace)
    generate: Callable[[int, int], pd.DataFrame] = namespace["generate_applicants"]
    return generate


def _applicants(rows: int, seed: int) -> pd.DataFrame:
    frame = _generator()(rows, seed)
    rng = np.random.default_rng(seed + 1)
    frame["purpose"] = rng.choice(PURPOSES, rows)
    frame["utilisation"] = rng.beta(2, 5, rows)
    bins, labels = [17, 25, 35, 50, 65, 120], ["18-25", "26-35", "36-50", "51-65", "65+"]
    frame["age_bucket"] = pd.cut(frame["age"], bins=bins, labels=labels)
    return frame


@pytest.fixture(scope="module")
def seen() -> pd.DataFrame:
    return _applicants(2000, seed=42)  # what the notebook's run saw


@pytest.fixture(scope="module")
def profile(seen: pd.DataFrame) -> FrameProfile:
    return profile_frame(seen, "applicants")


def _load(file: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory, profile: FrameProfile) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("contracts") / "src" / "credit_pkg"
    folder.mkdir(parents=True)
    context = contracts_context(
        package="credit_pkg",
        notebook_name="credit_approval.ipynb",
        profiles=[profile],
        where={"applicants": "the input of train"},
    )
    (folder / "contracts.py").write_text(
        render_template("contracts.py.j2", **context.values()), encoding="utf-8"
    )
    (folder / "gate.py").write_text(
        render_template("gate.py.j2", package="credit_pkg"), encoding="utf-8"
    )
    yield folder
    for name in ("credit_pkg_contracts", "credit_pkg_gate"):
        sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def contracts(package: Path) -> ModuleType:
    return _load(package / "contracts.py", "credit_pkg_contracts")


@pytest.fixture(scope="module")
def gate(package: Path) -> ModuleType:
    return _load(package / "gate.py", "credit_pkg_gate")


# --- the rendered modules are code a team keeps -------------------------------------------


@pytest.mark.parametrize("module", ["contracts.py", "gate.py"])
def test_rendered_module_passes_mypy_strict_and_ruff(package: Path, module: str) -> None:
    file = package / module
    config = package.parents[1] / "mypy.ini"
    config.write_text(MYPY_INI)
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), str(file)],
        cwd=package.parents[1],
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    ruff = [sys.executable, "-m", "ruff"]
    rules = ["--config", str(REPO / "pyproject.toml"), "--config", "target-version = 'py310'"]
    check = subprocess.run(
        [*ruff, "check", "--no-cache", *rules, str(file)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # the generated package's own formatting: the defaults (88 columns), as convert's black
    form = subprocess.run(
        [*ruff, "format", "--no-cache", "--isolated", "--check", "--diff", str(file)],
        capture_output=True,
        text=True,
    )
    assert form.returncode == 0, form.stdout + form.stderr


def test_schema_is_generated_from_what_was_seen(contracts: ModuleType, seen: pd.DataFrame) -> None:
    schema = contracts.SCHEMAS["applicants"]
    assert list(schema.columns) == list(seen.columns) and schema.strict is True
    columns = schema.columns
    assert str(columns["age"].dtype) == "int64" and str(columns["income"].dtype) == "float64"
    assert columns["employment_years"].nullable and not columns["income"].nullable
    assert columns["applicant_id"].unique and not columns["age"].unique
    assert [str(c) for c in columns["applicant_id"].checks] == []  # ids grow: no range
    low, high = seen["age"].min(), seen["age"].max()
    span = MARGIN * (high - low)
    assert [_bounds(c) for c in columns["age"].checks] == [(max(0.0, low - span), high + span)]
    low, high = seen["income"].min(), seen["income"].max()
    assert [_bounds(c) for c in columns["income"].checks] == [(0.0, high + MARGIN * (high - low))]
    assert [_bounds(c) for c in columns["utilisation"].checks] == [(0.0, 1.0)]
    assert [c.statistics for c in columns["purpose"].checks] == [{"allowed_values": list(PURPOSES)}]
    assert columns["age_bucket"].checks[0].statistics["allowed_values"] == list(
        seen["age_bucket"].cat.categories
    )


def _bounds(check: Any) -> tuple[float, float]:
    return (check.statistics["min_value"], check.statistics["max_value"])


def test_profile_reads_back_from_json(profile: FrameProfile) -> None:
    assert FrameProfile.from_json(json.loads(json.dumps(profile.to_json()))) == profile


@pytest.mark.parametrize(
    ("column", "rows", "expected"),  # expected: (unique, ratio, categories)
    [
        pytest.param(  # distinct values in a small sample prove nothing
            ColumnProfile("income", "int64", ColumnKind.INTEGER, 0, 50, 1e3, 9e4, 0, None),
            50,
            (False, False, ()),
            id="all-distinct-numbers-are-no-id",
        ),
        pytest.param(
            ColumnProfile("row", "int64", ColumnKind.INTEGER, 0, 50, 7.0, 56.0, 0, None),
            50,
            (True, False, ()),
            id="consecutive-integers-are-an-id",
        ),
        pytest.param(
            ColumnProfile("customerId", "str", ColumnKind.TEXT, 0, 9, None, None, 0, None),
            9,
            (True, False, ()),
            id="named-id",
        ),
        pytest.param(
            ColumnProfile("order_id", "int64", ColumnKind.INTEGER, 1, 8, 3.0, 99.0, 0, None),
            9,
            (False, False, ()),
            id="an-id-with-a-null-is-no-id",
        ),
        pytest.param(
            ColumnProfile("flag", "float64", ColumnKind.FLOAT, 0, 2, 0.0, 1.0, 0, None),
            40,
            (False, False, ()),
            id="zero-one-floats-are-a-flag",
        ),
        pytest.param(
            ColumnProfile("share", "float64", ColumnKind.FLOAT, 0, 30, 0.1, 0.9, 0, None),
            40,
            (False, True, ()),
            id="ratio",
        ),
        pytest.param(
            ColumnProfile("city", "str", ColumnKind.TEXT, 0, 3, None, None, 0, ("a", "b", "c")),
            5,
            (False, False, ()),
            id="few-rows-per-value-no-categories",
        ),
        pytest.param(
            ColumnProfile("city", "object", ColumnKind.TEXT, 2, 2, None, None, 0, ("a'b", "c")),
            6,
            (False, False, ('"a\'b"', '"c"')),
            id="categories-as-literals",
        ),
    ],
)
def test_column_rules(
    column: ColumnProfile, rows: int, expected: tuple[bool, bool, tuple[str, ...]]
) -> None:
    contract = column_contract(column, rows)
    assert (contract.unique, contract.ratio, contract.categories) == expected
    assert contract.observed is None or not (contract.unique or contract.ratio)


def test_bounds_are_rounded_outward() -> None:
    column = ColumnProfile(
        "x", "float64", ColumnKind.FLOAT, 0, 99, 0.0022141252201515, 123456.789, 0, None
    )
    low, high = column_contract(column, 200).observed or ("", "")
    assert (low, high) == ("0.00221412", "123457")
    assert float(low) <= 0.0022141252201515 and float(high) >= 123456.789


# --- validation -----------------------------------------------------------------------------


def test_the_notebooks_data_and_a_larger_batch_pass(
    contracts: ModuleType, seen: pd.DataFrame
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert contracts.validate(seen, "applicants") is seen
        batch = _applicants(100_000, seed=7)  # the same source, further into the tails
        shuffled = batch[list(reversed(batch.columns))]  # any column order
        assert contracts.validate(shuffled, "applicants") is shuffled


def _set(column: str, rows: list[int], value: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        if not isinstance(value, float) and pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].astype(object)  # a string arrives in a number column
        frame.loc[rows, column] = value
        return frame

    return change


def _scale(column: str, rows: list[int], factor: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[rows, column] = frame.loc[rows, column] * factor
        return frame

    return change


def _duplicate_id(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[9, "applicant_id"] = frame.loc[3, "applicant_id"]
    return frame


# (how the data changed, column, check as pandera names it, failing rows or None, first row);
# each on its own column, so that all of them together make one error of them all
VIOLATIONS: list[Any] = [
    pytest.param(lambda f: f.drop(columns="debt"), "debt", "missing", None, None, id="missing"),
    pytest.param(lambda f: f.assign(region="north"), "region", "new", None, None, id="new"),
    pytest.param(
        lambda f: f.astype({"age": "float64"}), "age", "dtype('int64')", None, None, id="dtype"
    ),
    pytest.param(
        _set("employment_years", [17, 40], "n/a"),
        "employment_years",
        "dtype('float64')",
        2,
        17,
        id="text-in-number",
    ),
    pytest.param(_scale("income", [4, 8, 15], 1000.0), "income", "in_range", 3, 4, id="range"),
    pytest.param(_set("utilisation", [5], 1.5), "utilisation", "in_range", 1, 5, id="ratio"),
    pytest.param(_set("purpose", [2], "yacht"), "purpose", "isin", 1, 2, id="category"),
    pytest.param(_duplicate_id, "applicant_id", "field_uniqueness", 2, 3, id="duplicate-id"),
    pytest.param(_set("loan_amount", [6], np.nan), "loan_amount", "not_nullable", 1, 6, id="null"),
]


@pytest.mark.parametrize(("change", "column", "check", "rows", "first"), VIOLATIONS)
def test_each_violation_is_reported(
    contracts: ModuleType,
    seen: pd.DataFrame,
    change: Callable[[pd.DataFrame], pd.DataFrame],
    column: str,
    check: str,
    rows: int | None,
    first: int | None,
) -> None:
    with pytest.raises(contracts.ContractError) as caught:
        contracts.validate(change(seen), "applicants")
    (violation,) = caught.value.violations
    assert (violation.column, violation.rows) == (column, rows)
    assert violation.check.startswith(check)
    if first is not None and rows is not None:
        assert violation.examples[0][0] == first and len(violation.examples) <= rows
    message = str(caught.value)
    assert f"column {column!r}" in message and "applicants" in message
    if rows is not None:
        assert f"on {rows} row" in message and f"row {first}:" in message


def test_one_lazy_error_lists_every_violation(contracts: ModuleType, seen: pd.DataFrame) -> None:
    broken = seen
    for case in VIOLATIONS:
        change = case.values[0]
        broken = change(broken)
    with pytest.raises(contracts.ContractError) as caught:
        contracts.validate(broken, "applicants")
    found = {(v.column, v.check.split("(")[0], v.rows) for v in caught.value.violations}
    expected = {(c.values[1], c.values[2].split("(")[0], c.values[3]) for c in VIOLATIONS}
    assert found == expected
    lines = str(caught.value).splitlines()
    assert lines[0].endswith(f"{len(VIOLATIONS)} violation(s)") and len(lines) == len(found) + 1


def test_warn_mode_warns_and_returns_the_frame(contracts: ModuleType, seen: pd.DataFrame) -> None:
    broken = _set("purpose", [2], "yacht")(seen)
    with pytest.warns(contracts.ContractWarning, match=r"column 'purpose': isin.* on 1 row"):
        assert contracts.validate(broken, "applicants", mode="warn") is broken


def test_off_mode_checks_nothing(contracts: ModuleType, seen: pd.DataFrame) -> None:
    broken = seen.drop(columns="debt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert contracts.validate(broken, "applicants", mode="off") is broken
    with pytest.raises(ValueError, match="contracts mode 'strict'"):
        contracts.validate(seen, "applicants", mode="strict")


# --- the matrix gate ----------------------------------------------------------------------------

FEATURES = ["income", "debt", "age", "employment_years", "num_late_payments", "loan_amount"]


@pytest.fixture(scope="module")
def training(seen: pd.DataFrame) -> pd.DataFrame:
    frame = seen[FEATURES].copy()
    frame["employment_years"] = frame["employment_years"].fillna(0.0)  # as the notebook fills
    return frame


def _matrix(gate: ModuleType, frame: pd.DataFrame, training: pd.DataFrame, **kw: Any) -> Any:
    dtypes = [str(t) for t in training.dtypes]
    return gate.to_matrix(frame, list(training.columns), dtypes, **kw)


def test_gate_passes_the_training_matrix(gate: ModuleType, training: pd.DataFrame) -> None:
    extra = training.assign(applicant_id=range(len(training)))  # not a feature: left out
    matrix = _matrix(gate, extra, training)
    pd.testing.assert_frame_equal(matrix, training)


def test_gate_reorders_columns_to_the_training_order(
    gate: ModuleType, training: pd.DataFrame
) -> None:
    shuffled = training[list(reversed(FEATURES))]
    matrix = _matrix(gate, shuffled, training)
    assert list(matrix.columns) == FEATURES
    pd.testing.assert_frame_equal(matrix, training)


def test_gate_casts_to_the_training_dtypes(gate: ModuleType, training: pd.DataFrame) -> None:
    as_floats = training.astype({"age": "float64", "num_late_payments": "Int64"})
    matrix = _matrix(gate, as_floats, training)
    assert list(matrix.dtypes) == list(training.dtypes)


def _with(column: str, row: int, value: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        if isinstance(value, str):
            frame[column] = frame[column].astype(object)
        frame.loc[frame.index[row], column] = value
        return frame

    return change


@pytest.mark.parametrize(
    ("change", "column", "problem", "rows"),
    [
        pytest.param(_with("debt", 11, "12k"), "debt", "is not numeric", [11], id="string"),
        pytest.param(
            lambda f: f.astype({"loan_amount": str}),
            "loan_amount",
            "is not numeric",
            [0, 1, 2, 3, 4],
            id="text-column",
        ),
        pytest.param(_with("income", 3, np.nan), "income", "NaN", [3], id="nan"),
        pytest.param(_with("income", 8, np.inf), "income", "infinite", [8], id="inf"),
        pytest.param(_with("loan_amount", 2, -np.inf), "loan_amount", "infinite", [2], id="-inf"),
        pytest.param(
            lambda f: f.drop(columns="age"), "age", "missing from the frame", [], id="missing"
        ),
        pytest.param(
            lambda f: f.astype({"age": "float64"}).pipe(_with("age", 5, 30.5)),
            "age",
            "not a whole number",
            [5],
            id="fraction-in-integers",
        ),
    ],
)
def test_gate_names_the_column_and_first_failing_rows(
    gate: ModuleType,
    training: pd.DataFrame,
    change: Callable[[pd.DataFrame], pd.DataFrame],
    column: str,
    problem: str,
    rows: list[int],
) -> None:
    with pytest.raises(gate.MatrixError) as caught:
        _matrix(gate, change(training), training)
    (found,) = caught.value.problems
    assert found.column == column and problem in found.problem
    assert [row for row, _ in found.first] == rows
    message = str(caught.value)
    assert f"column {column!r}: " in message
    assert all(f"row {row}:" in message for row in rows)


def test_gate_lists_every_column_at_fault(gate: ModuleType, training: pd.DataFrame) -> None:
    broken = _with("income", 3, np.nan)(_with("debt", 4, "x")(training)).drop(columns="age")
    with pytest.raises(gate.MatrixError) as caught:
        _matrix(gate, broken, training)
    assert [p.column for p in caught.value.problems] == ["income", "debt", "age"]


def test_gate_allows_nan_when_told(gate: ModuleType, training: pd.DataFrame) -> None:
    with_nan = _with("income", 3, np.nan)(training)
    matrix = _matrix(gate, with_nan, training, allow_nan=True)
    assert np.isnan(matrix["income"].iloc[3])
    with pytest.raises(gate.MatrixError, match="infinite"):
        _matrix(gate, _with("income", 3, np.inf)(training), training, allow_nan=True)


def test_gate_refuses_a_non_numeric_training_dtype(
    gate: ModuleType, training: pd.DataFrame
) -> None:
    with pytest.raises(ValueError, match="'age' was trained as category"):
        gate.to_matrix(training, ["income", "age"], ["float64", "category"])


# --- any frame meets the contract made from it ---------------------------------------------

ODD_FRAMES: list[Any] = [
    pytest.param(lambda: pd.DataFrame({"a": pd.Series([], dtype="float64")}), id="empty"),
    pytest.param(lambda: pd.DataFrame({"a": [np.nan, np.nan], "b": [1, 2]}), id="all-null"),
    pytest.param(lambda: pd.DataFrame(np.arange(6.0).reshape(3, 2)), id="integer-labels"),
    pytest.param(lambda: pd.DataFrame([[1, 2], [3, 4]], columns=["x", "x"]), id="duplicate-label"),
    pytest.param(lambda: pd.DataFrame({"m": [1, "a", None, 2.5]}), id="mixed-objects"),
    pytest.param(lambda: pd.DataFrame({"l": [[1], [2, 3], [4]]}), id="unhashable"),
    pytest.param(lambda: pd.DataFrame({"f": [1.0, np.inf, -2.0]}), id="infinite"),
    pytest.param(lambda: pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64")}), id="Int64"),
    pytest.param(
        lambda: pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2025-06-30", None])}),
        id="datetime",
    ),
    pytest.param(lambda: pd.DataFrame({"b": [True, False, True]}), id="bool"),
    pytest.param(lambda: pd.DataFrame({"c": [7.5, 7.5, 7.5], "z": [0, 0, 0]}), id="constant"),
    pytest.param(
        lambda: pd.DataFrame({"q": ['say "hi"', "it's", 'say "hi"', "it's"]}), id="quotes"
    ),
    pytest.param(lambda: pd.DataFrame({"class": [1, 2], "2x": [1, 2]}), id="odd-names"),
]


@pytest.mark.parametrize("make", ODD_FRAMES)
def test_a_frame_meets_the_contract_made_from_it(
    tmp_path: Path, make: Callable[[], pd.DataFrame]
) -> None:
    frame = make()
    profile = profile_frame(frame, "odd frame")
    assert FrameProfile.from_json(json.loads(json.dumps(profile.to_json()))) == profile
    context = contracts_context(package="odd", notebook_name="odd.ipynb", profiles=[profile])
    file = tmp_path / "contracts.py"
    file.write_text(render_template("contracts.py.j2", **context.values()), encoding="utf-8")
    module = _load(file, "odd_contracts")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert module.validate(frame, "odd frame") is frame
        with pytest.raises(module.ContractError, match="a new column"):
            module.validate(frame.assign(added=1), "odd frame")
    finally:
        sys.modules.pop("odd_contracts", None)
