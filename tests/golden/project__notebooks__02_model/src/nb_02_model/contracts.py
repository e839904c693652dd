"""Data contracts of nb_02_model: what each input frame of train and predict must hold.

nb2prod wrote one pandera schema per input frame from the data 02_model.ipynb really
saw when nb2prod verify ran it: the columns and their dtypes, the columns that may hold
nulls, the range of each number, the values of each text column that has few, and the
columns that identify a row. This file is yours: when the data legitimately changes, widen
a range, add a category or drop a check here.

- Columns: exactly these, in any order; a column the notebook never saw is a violation too
  (strict=True), as is a column of another dtype (nothing is coerced).
- Ranges: each number's observed minimum and maximum (written below), widened by MARGIN
  times the observed span on each side, and never below zero for a column that was never
  negative. A batch larger than the notebook's data reaches further into the tails (the
  largest of 100,000 values lies beyond the largest of 2,000): with MARGIN = 2, such
  batches of skewed amounts and counts pass, while a change of unit (x10, x1000), a sign
  flip or a swapped column falls outside. A very heavy-tailed column (amounts spanning
  orders of magnitude) may need a wider bound of its own: replace its `observed(...)` by
  `pa.Check.in_range(low, high)`.
- Ratios: a float column whose values all lay in [0, 1] stays in [0, 1], without margin.
- Categories: a text column with few distinct values holds only those.
- Ids: a column that identifies a row holds no value twice.

`validate(frame, name, mode)` checks a frame against SCHEMAS[name] lazily: one
ContractError lists every violation with its column, its check, the count of failing rows
and the first of them. Mode "warn" issues the same text as a ContractWarning and returns
the frame; "off" skips the check.

A frame with no schema below gets the contract training learned: `train` profiles each
input frame as it reads it (`profile`) and saves the profile in the artifact, and
`learned(profile, name)` makes a schema from it by the rules above. A contract learned so
follows the model: retraining on new data moves it. To pin a contract, write a schema for
the frame into SCHEMAS: it then wins over what training learned.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

with warnings.catch_warnings():
    # where pyspark is installed, pandera tries pyspark.pandas on import and on its first
    # validation, and under pandas 3 pyspark warns each time (about itself, unused here):
    # both happen here, silenced
    warnings.filterwarnings("ignore", "PySpark does not yet", FutureWarning)
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

    pa.DataFrameSchema().validate(pd.DataFrame())  # pandera registers its checks now

Mode = Literal["error", "warn", "off"]
MODES: tuple[Mode, ...] = ("error", "warn", "off")
MARGIN = 2.0  # observed spans allowed beyond each observed extreme
EXAMPLES = 3  # failing rows shown per violation


def observed(low: float, high: float) -> pa.Check:
    """Values within the observed [low, high] widened by MARGIN spans (>= 0 if low was)."""
    span = (high - low) or abs(high) or 1.0  # a constant column: a span of its own size
    lower, upper = low - MARGIN * span, high + MARGIN * span
    if low >= 0:
        lower = max(lower, 0.0)
    return pa.Check.in_range(lower, upper)


def ratio() -> pa.Check:
    """Values in [0, 1]."""
    return pa.Check.in_range(0.0, 1.0)


SCHEMAS: dict[str, pa.DataFrameSchema] = {}


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken check: its column, the check, the failing rows and the first of them."""

    column: str
    check: str
    rows: int | None  # None: the column as a whole (missing, new, of another dtype)
    # (row label, value), the first EXAMPLES; for a dtype: (None, the dtype found)
    examples: tuple[tuple[object, object], ...]

    def __str__(self) -> str:
        if self.check == "missing":
            return f"column {self.column!r}: missing"
        if self.check == "new":
            return f"column {self.column!r}: not in the contract (a new column)"
        text = f"column {self.column!r}: {self.check} fails"
        if self.rows is None:
            found = ", ".join(str(value) for _, value in self.examples)
            return f"{text}: got {found}" if found else text
        shown = ", ".join(f"row {row}: {value!r}" for row, value in self.examples)
        plural = "row" if self.rows == 1 else "rows"
        return f"{text} on {self.rows} {plural}, e.g. {shown}"


class ContractError(ValueError):
    """A frame that breaks its contract; `violations` lists every broken check."""

    def __init__(self, frame: str, violations: Sequence[Violation]) -> None:
        super().__init__(frame, tuple(violations))
        self.frame = frame
        self.violations = tuple(violations)

    def __str__(self) -> str:
        head = (
            f"frame {self.frame!r} breaks its contract (SCHEMAS[{self.frame!r}] in "
            f"contracts.py): {len(self.violations)} violation(s)"
        )
        return "\n".join([head, *(f"- {v}" for v in self.violations)])


class ContractWarning(UserWarning):
    """A frame that breaks its contract, used anyway (mode "warn")."""


def validate(
    frame: pd.DataFrame,
    name: str,
    mode: Mode = "error",
    learned: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """`frame` checked against SCHEMAS[name], every violation in one ContractError.

    Without a schema in SCHEMAS, the contract is `learned(learned, name)` (the profile
    training saved), or nothing when there is none. Mode "warn" warns with the same text
    instead and "off" checks nothing; both return `frame` as it is.
    """
    check(frame, name, mode, learned)
    return frame


def check(
    frame: pd.DataFrame,
    name: str,
    mode: Mode = "error",
    profile: Mapping[str, Any] | None = None,
) -> tuple[Violation, ...]:
    """As `validate`, returning the violations (those warned about in mode "warn")."""
    if mode not in MODES:
        raise ValueError(f"contracts mode {mode!r}: expected one of {', '.join(MODES)}")
    if mode == "off":
        return ()
    schema = SCHEMAS.get(name)
    if schema is None and profile:
        schema = learned(profile, name)
    if schema is None:
        return ()
    try:
        # nothing is coerced, so in place changes nothing: it spares a copy of the frame
        schema.validate(frame, lazy=True, inplace=True)
    except SchemaErrors as exc:
        error = ContractError(name, violations(exc.failure_cases, frame, schema))
        if mode == "error":
            raise error from None  # the error lists everything pandera's report holds
        warnings.warn(str(error), ContractWarning, stacklevel=2)
        return error.violations
    return ()


# --- the contract training learns ------------------------------------------------------------

MAX_CATEGORIES = 30  # a text column with at most this many values holds only those
RATIO_MIN_DISTINCT = 3  # a float column of only 0.0 and 1.0 is a flag, not a ratio
# an id is checked unique when its name says so, or its integers are consecutive
ID_NAME = re.compile(
    r"(^|[_\W])(id|key|uuid|guid)$|^(id|key|uuid)[_\W]|[a-z0-9]Id$", re.I
)


def profile(frame: Any, optional: Sequence[str] = ()) -> dict[str, Any]:
    """What a contract is learned from (JSON values): per column its dtype, nulls, range and
    few values. `optional`: columns new rows need not have (the target). An input that is not
    a DataFrame (a numpy array) has no columns to hold to: empty, no contract."""
    if not isinstance(frame, pd.DataFrame):
        return {}
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, label in enumerate(frame.columns):
        if str(label) in seen:
            continue  # a schema names each column once
        seen.add(str(label))
        out.append(_profile_column(frame.iloc[:, position], str(label)))
    return {"rows": len(frame), "columns": out, "optional": [str(c) for c in optional]}


def _profile_column(column: pd.Series, label: str) -> dict[str, Any]:
    types = pd.api.types
    dtype = column.dtype
    present = column.dropna()
    if isinstance(dtype, pd.CategoricalDtype):
        kind = "category"
    elif types.is_bool_dtype(dtype):
        kind = "boolean"
    elif types.is_integer_dtype(dtype):
        kind = "integer"
    elif types.is_float_dtype(dtype):
        kind = "float"
    elif types.is_string_dtype(dtype) and present.map(type).eq(str).all():
        kind = "text"
    else:
        kind = "other"
    try:
        distinct: int | None = int(present.nunique())
    except TypeError:  # unhashable values
        distinct = None
    low = high = None
    infinite = 0
    if kind in ("integer", "float") and len(present):
        numbers = present.astype("float64")
        finite = numbers[np.isfinite(numbers)]
        infinite = len(numbers) - len(finite)
        if len(finite):
            low, high = float(finite.min()), float(finite.max())
    values = None
    if kind == "category":
        categories = [str(v) for v in dtype.categories]
        values = sorted(categories) if len(categories) <= MAX_CATEGORIES else None
    elif kind == "text" and distinct is not None and distinct <= MAX_CATEGORIES:
        values = sorted(str(v) for v in present.unique())
    return {
        "label": label,
        "dtype": str(dtype),
        "kind": kind,
        "nulls": int(len(column) - len(present)),
        "distinct": distinct,
        "min": low,
        "max": high,
        "infinite": infinite,
        "values": values,
    }


def learned(profile: Mapping[str, Any], name: str) -> pa.DataFrameSchema:
    """The schema of a profiled frame, by the rules of the module's docstring."""
    rows = int(profile["rows"])
    optional = set(profile.get("optional", ()))
    columns = {
        str(c["label"]): _learned_column(c, rows, str(c["label"]) not in optional)
        for c in profile["columns"]
    }
    return pa.DataFrameSchema(columns, strict=True, name=name)


def _learned_column(c: Mapping[str, Any], rows: int, required: bool) -> pa.Column:
    kind = str(c["kind"])
    low, high = c["min"], c["max"]
    ranged = kind in ("integer", "float") and low is not None and high is not None
    ratio_ = (
        kind == "float"
        and ranged
        and c["infinite"] == 0
        and 0.0 <= low <= high <= 1.0
        and (c["distinct"] or 0) >= RATIO_MIN_DISTINCT
    )
    unique = (
        kind in ("integer", "text")
        and not c["nulls"]
        and rows >= 2
        and c["distinct"] == rows
        and (
            bool(ID_NAME.search(str(c["label"]))) or (ranged and high - low + 1 == rows)
        )
    )
    checks: list[pa.Check] = []
    if ratio_:
        checks.append(ratio())
    elif ranged and not unique and c["infinite"] == 0:  # ids grow: no range
        checks.append(observed(float(low), float(high)))
    values = c["values"]
    few = values is not None and 2 * len(values) <= rows - c["nulls"]
    if values is not None and (kind == "category" or few):
        checks.append(pa.Check.isin(list(values)))
    dtype: Any = str if kind == "text" else str(c["dtype"])
    nullable = c["nulls"] > 0
    return pa.Column(dtype, checks, nullable=nullable, unique=unique, required=required)


def violations(
    cases: pd.DataFrame, frame: pd.DataFrame, schema: pa.DataFrameSchema
) -> tuple[Violation, ...]:
    """pandera's failure cases, one Violation per column and check, in pandera's order."""
    found: dict[tuple[str, str], list[tuple[object, object]]] = {}
    columns = ["schema_context", "column", "check", "failure_case", "index"]
    for context, column, check, case, row in cases[columns].itertuples(index=False):
        if context == "DataFrameSchema" and check == "column_in_dataframe":
            column, check = case, "missing"
        elif context == "DataFrameSchema" and check == "column_in_schema":
            column, check = case, "new"
        failure = (_row(row), _plain(case))
        found.setdefault((str(column), str(check)), []).append(failure)
    mistyped = {column for column, check in found if check.startswith("dtype(")}
    result = []
    for (column, check), failures in found.items():
        whole = all(row is None for row, _ in failures)
        if column in mistyped and whole and not check.startswith("dtype("):
            continue  # a check that could not run on values of the wrong dtype
        if check in ("missing", "new"):
            result.append(Violation(column, check, None, ()))
        elif whole and check.startswith("dtype("):
            result.append(_mistyped(column, check, failures, frame, schema))
        else:
            rows = _in_order([(row, case) for row, case in failures if row is not None])
            result.append(Violation(column, check, len(rows), tuple(rows[:EXAMPLES])))
    return tuple(result)


def _mistyped(
    column: str,
    check: str,
    failures: list[tuple[object, object]],
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema,
) -> Violation:
    """A column of another dtype; for a number column, the rows that hold no number."""
    expected = str(schema.columns[column].dtype)
    if column in frame.columns and pd.api.types.is_numeric_dtype(expected):
        values = frame[column]
        bad = values.notna() & pd.to_numeric(values, errors="coerce").isna()
        if bad.any():
            labels, held = values.index[bad].tolist(), values[bad].tolist()
            rows = list(zip(labels, held, strict=True))
            return Violation(column, check, len(rows), tuple(rows[:EXAMPLES]))
    return Violation(column, check, None, tuple(failures[:1]))


def _in_order(rows: list[tuple[object, object]]) -> list[tuple[object, object]]:
    """Failing rows by label when labels sort (the first rows first), else as found."""
    try:
        return sorted(rows, key=lambda pair: cast(Any, pair[0]))
    except TypeError:  # labels of mixed types
        return rows


def _row(label: object) -> object:
    """A failing row's label; None when the failure is of the whole column."""
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return None
    return _plain(label)


def _plain(value: object) -> object:
    """A value as Python holds it: numbers without numpy's type around them."""
    return value.item() if isinstance(value, np.generic) else value
