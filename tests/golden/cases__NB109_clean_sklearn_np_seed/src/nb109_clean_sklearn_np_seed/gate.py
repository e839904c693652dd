"""The matrix gate of nb109_clean_sklearn_np_seed: the one step between a feature frame and the model.

A string or a NaN that slips into the model's matrix fails deep inside the model with a
message about arrays, or is scored silently. `to_matrix` builds the matrix the model was
trained on, or raises one `MatrixError` that names every column at fault and its first
failing rows:

- a feature the frame lacks;
- a column whose dtype is not numeric (its rows holding something other than a number);
- NaN or an infinite value (NaN is accepted with `allow_nan=True`, for models that take it);
- a fraction in a column trained as integers.

Columns are taken by name and put in the training order. A frame whose columns come in
another order is reordered silently: a name, not a position, identifies a feature, and the
data contract already checks the names. Columns that are not features (an id, the target)
are left out. The features and their dtypes come from the artifact's metadata
(`metadata.features`), so the matrix always matches the fitted model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

FIRST_ROWS = 5  # failing rows named per problem


@dataclass(frozen=True, slots=True)
class MatrixProblem:
    """One column at fault: what is wrong, how many rows, and the first of them."""

    column: str
    problem: str
    rows: int  # rows at fault; 0 when the whole column is (missing)
    first: tuple[tuple[object, object], ...]  # (row label, value), the first FIRST_ROWS

    def __str__(self) -> str:
        text = f"column {self.column!r}: {self.problem}"
        if self.rows:
            shown = ", ".join(f"row {row!r}: {value!r}" for row, value in self.first)
            plural = "row" if self.rows == 1 else "rows"
            text += f" in {self.rows} {plural} ({shown})"
        return text


class MatrixError(ValueError):
    """A frame that cannot become the model's matrix; `problems` names every column."""

    def __init__(self, problems: Sequence[MatrixProblem]) -> None:
        super().__init__(tuple(problems))
        self.problems = tuple(problems)

    def __str__(self) -> str:
        lines = [f"cannot build the model's matrix: {len(self.problems)} problem(s)"]
        return "\n".join([*lines, *(f"- {p}" for p in self.problems)])


def to_matrix(
    frame: pd.DataFrame,
    features: Sequence[str],
    dtypes: Sequence[str],
    *,
    allow_nan: bool = False,
) -> pd.DataFrame:
    """The features of `frame` in training order and dtypes, checked numeric and finite.

    `features` and `dtypes` are the training matrix's columns and their dtypes, in order.
    Raises MatrixError naming every column at fault and its first failing rows.
    """
    if len(features) != len(dtypes):
        raise ValueError(f"{len(features)} features but {len(dtypes)} dtypes")
    trained = [pd.api.types.pandas_dtype(dtype) for dtype in dtypes]
    for name, dtype in zip(features, trained, strict=True):
        if not _numeric(dtype):
            raise ValueError(f"feature {name!r} was trained as {dtype}: not a number")
    by_name = {str(label): label for label in frame.columns}
    problems: list[MatrixProblem] = []
    columns: dict[str, pd.Series] = {}
    for name, dtype in zip(features, trained, strict=True):
        if name not in by_name:
            problems.append(MatrixProblem(name, "missing from the frame", 0, ()))
            continue
        column = frame[by_name[name]]
        found = _column_problem(name, column, str(dtype.kind), allow_nan)
        if found is None:
            columns[name] = column if column.dtype == dtype else column.astype(dtype)
        else:
            problems.append(found)
    if problems:
        raise MatrixError(problems)
    return pd.DataFrame(columns, index=frame.index, columns=list(features))


def _numeric(dtype: object) -> bool:
    types = pd.api.types
    return bool(types.is_numeric_dtype(dtype) or types.is_bool_dtype(dtype))


def _column_problem(
    name: str, column: pd.Series, kind: str, allow_nan: bool
) -> MatrixProblem | None:
    """What keeps one column out of the matrix, or None."""
    if not _numeric(column.dtype):
        numbers = column.map(_is_number).astype(bool)
        bad = ~numbers if not numbers.all() else pd.Series(True, index=column.index)
        return _problem(name, f"dtype {column.dtype} is not numeric", column, bad)
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":
        return None  # numpy integers and booleans are whole, finite and never missing
    values = column.to_numpy(dtype="float64", na_value=np.nan)
    if kind not in "iub" and np.isfinite(values).all():
        return None  # the usual case, in one pass; the checks below name what fails
    nan = np.isnan(values)
    if nan.any() and not allow_nan:
        return _problem(name, "NaN", column, nan)
    infinite = np.isinf(values)
    if infinite.any():
        return _problem(name, "infinite", column, infinite)
    if kind in "iub":  # trained as integers or booleans: a fraction would be cut off
        fraction = ~nan & (values != np.round(values))
        if fraction.any():
            return _problem(name, "not a whole number, as trained", column, fraction)
        if nan.any():
            return _problem(name, "NaN, trained as integers", column, nan)
    return None


def _is_number(value: object) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    return isinstance(value, (int, float, np.number))


def _problem(name: str, problem: str, column: pd.Series, bad: object) -> MatrixProblem:
    mask = np.asarray(bad, dtype=bool)
    failing = column[mask].iloc[:FIRST_ROWS]
    first = zip(failing.index.tolist(), failing.tolist(), strict=True)
    return MatrixProblem(name, problem, int(mask.sum()), tuple(first))


class Gate:
    """`to_matrix` with the features of an artifact, keeping the last matrix it built (for
    monitoring). `predict` puts one around the argument of every model call.

    A model trained on columns that are not numbers (a pipeline that encodes text itself)
    gets its columns by name and in training order, unchecked: the model checks them.
    """

    def __init__(self, features: Sequence[object], *, allow_nan: bool = False) -> None:
        self.features = [str(getattr(f, "name", f)) for f in features]
        self.dtypes = [str(getattr(f, "dtype", "float64")) for f in features]
        self.allow_nan = allow_nan
        self.numeric = all(_numeric(_dtype(d)) for d in self.dtypes)
        self.last: object = None

    def __call__(self, matrix: object) -> object:
        if not isinstance(matrix, pd.DataFrame) or not self.features:
            self.last = matrix  # an array: its columns have no names to check
            return matrix
        if self.numeric:
            nan = self.allow_nan
            built = to_matrix(matrix, self.features, self.dtypes, allow_nan=nan)
        elif all(name in matrix.columns for name in self.features):
            built = matrix[self.features]
        else:
            built = matrix
        self.last = built
        return built


def _dtype(name: str) -> object:
    try:
        return pd.api.types.pandas_dtype(name)
    except TypeError:
        return np.dtype("object")
