"""Data contracts of the generated package: profile the frames the notebook really saw, and
turn each profile into the values templates/contracts.py.j2 is filled with.

`profile_frame` runs where the notebook's frames live (verify's capture program, in the
notebook's kernel). It needs pandas there and nothing of nb2prod: this module imports only the
standard library, and a profile crosses the process boundary as JSON (`to_json`, `from_json`).

What was seen becomes a contract by these rules (the generated module's docstring repeats the
ones its owner tunes):

- every column, with its dtype as seen: no coercion, since a changed type is what upstream
  changes look like;
- a column holding no null may hold none;
- a number's range is the observed [min, max], widened by the generated module's MARGIN at
  import time, never below zero when the column was never negative (MARGIN below says why);
- a float column whose values all lie in [0, 1] (at least RATIO_MIN_DISTINCT distinct ones)
  is a ratio, checked against [0, 1] exactly;
- a text or categorical column with at most MAX_CATEGORIES distinct values, each seen twice
  on average, may hold only those values;
- an integer or text column without nulls whose values are all distinct is an id, checked
  unique, when its name says so (ID_NAME) or its integers are consecutive (a row number):
  distinct values in a small sample alone prove nothing.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any

# The bound is the observed extreme plus MARGIN times the observed span, on each side. A batch
# larger than the notebook's data reaches further into the tails. Measured by
# `bench/contracts_speed.py --margins` (bounds from 2,000 draws, 30 batches of 100,000): with
# 2.0 every batch passes for normal, uniform, exponential, gamma, Poisson, log-normal (sigma
# 0.45) sources and the demo's four skewed number columns, 73% for log-normal sigma 1; with
# 1.0 only 83-90% of the demo's income and debt batches pass, with 0.5 30-43%. Every batch
# scaled by 10 or by 1,000 (a change of unit) falls outside, whatever the margin.
MARGIN = 2.0
MAX_CATEGORIES = 30
RATIO_MIN_DISTINCT = 3  # a float column of only 0.0 and 1.0 is a flag, not a ratio
ID_NAME = re.compile(r"(^|[_\W])(id|key|uuid|guid)$|^(id|key|uuid)[_\W]|[a-z0-9]Id$", re.I)
SIGNIFICANT = 6  # digits of an observed bound written into the contract (rounded outward)


class ColumnKind(StrEnum):
    """What a column holds, as far as a contract is concerned."""

    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    TEXT = "text"
    CATEGORY = "category"
    DATETIME = "datetime"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """One column of a captured frame, as seen."""

    label: str | int  # the frame's column label (integers stay integers: pd.DataFrame(array))
    dtype: str
    kind: ColumnKind
    nulls: int
    distinct: int | None  # non-null distinct values; None when they cannot be hashed
    minimum: float | None  # finite numbers only
    maximum: float | None
    infinite: int  # values that are +-inf
    values: tuple[str, ...] | None  # sorted distinct text values, when at most MAX_CATEGORIES


@dataclass(frozen=True, slots=True)
class FrameProfile:
    """A frame the notebook's train or predict path received, as seen in its run."""

    name: str
    rows: int
    columns: tuple[ColumnProfile, ...]

    def to_json(self) -> dict[str, Any]:
        """The profile as JSON values (the capture program writes them)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FrameProfile:
        """Read back what `to_json` wrote."""
        columns = tuple(
            ColumnProfile(
                label=c["label"],
                dtype=str(c["dtype"]),
                kind=ColumnKind(c["kind"]),
                nulls=int(c["nulls"]),
                distinct=None if c["distinct"] is None else int(c["distinct"]),
                minimum=None if c["minimum"] is None else float(c["minimum"]),
                maximum=None if c["maximum"] is None else float(c["maximum"]),
                infinite=int(c["infinite"]),
                values=None if c["values"] is None else tuple(map(str, c["values"])),
            )
            for c in data["columns"]
        )
        return cls(str(data["name"]), int(data["rows"]), columns)


def profile_frame(frame: Any, name: str) -> FrameProfile:
    """Profile a pandas DataFrame: per column its dtype, nulls, range and distinct values.

    A label that occurs twice is profiled once (a schema names each column once).
    """
    import pandas as pd  # the frame's own library, where the frame lives

    columns: list[ColumnProfile] = []
    seen: set[str | int] = set()
    for position, raw_label in enumerate(frame.columns):
        label = raw_label if isinstance(raw_label, int) else str(raw_label)
        if label in seen:
            continue
        seen.add(label)
        columns.append(_profile_column(pd, frame.iloc[:, position], label))
    return FrameProfile(name, len(frame), tuple(columns))


def _profile_column(pd: Any, column: Any, label: str | int) -> ColumnProfile:
    kind = _kind(pd, column)
    present = column.dropna()
    try:
        distinct: int | None = int(present.nunique())
    except TypeError:  # lists, dicts: unhashable
        distinct = None
    minimum = maximum = None
    infinite = 0
    if kind in (ColumnKind.INTEGER, ColumnKind.FLOAT) and len(present):
        numbers = present.astype("float64")
        finite = numbers[numbers.abs() != math.inf]
        infinite = len(numbers) - len(finite)
        if len(finite):
            minimum, maximum = float(finite.min()), float(finite.max())
    values = None
    if kind is ColumnKind.CATEGORY:
        categories = list(column.dtype.categories)
        if all(isinstance(v, str) for v in categories) and len(categories) <= MAX_CATEGORIES:
            values = tuple(sorted(categories))
    elif kind is ColumnKind.TEXT and distinct is not None and distinct <= MAX_CATEGORIES:
        values = tuple(sorted(str(v) for v in present.unique()))
    return ColumnProfile(
        label=label,
        dtype=str(column.dtype),
        kind=kind,
        nulls=int(len(column) - len(present)),
        distinct=distinct,
        minimum=minimum,
        maximum=maximum,
        infinite=infinite,
        values=values,
    )


def _kind(pd: Any, column: Any) -> ColumnKind:
    types = pd.api.types
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return ColumnKind.CATEGORY
    if types.is_bool_dtype(dtype):
        return ColumnKind.BOOLEAN
    if types.is_integer_dtype(dtype):
        return ColumnKind.INTEGER
    if types.is_float_dtype(dtype):
        return ColumnKind.FLOAT
    if types.is_datetime64_any_dtype(dtype):
        return ColumnKind.DATETIME
    if types.is_string_dtype(dtype) and column.dropna().map(type).eq(str).all():
        return ColumnKind.TEXT  # object columns too, when every value is a string
    return ColumnKind.OTHER


# --- the template's context ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnContract:
    """One column of a generated schema; literals are Python source, ready to write."""

    label: str  # the column label as a Python literal
    dtype: str  # a pandera dtype as a Python literal: "int64", or str for any text column
    nullable: bool
    unique: bool
    observed: tuple[str, str] | None  # observed (min, max) literals: a range with the margin
    ratio: bool  # [0, 1] exactly
    categories: tuple[str, ...]  # literals of the allowed values; empty: any
    seen: str  # what the notebook's data held, a comment for the owner


@dataclass(frozen=True, slots=True)
class FrameContract:
    """The schema of one input frame."""

    name: str  # the key in SCHEMAS, as the caller names the frame
    constant: str  # the schema's Python name
    rows: int
    where: str  # where the notebook's run saw it, for the comment above the schema
    columns: tuple[ColumnContract, ...]


@dataclass(frozen=True, slots=True)
class ContractsContext:
    """The values templates/contracts.py.j2 is filled with."""

    package: str
    notebook_name: str
    margin: float
    frames: tuple[FrameContract, ...]

    def values(self) -> dict[str, object]:
        """Keyword arguments for `render_template("contracts.py.j2", ...)`."""
        return {
            "package": self.package,
            "notebook_name": self.notebook_name,
            "margin": repr(self.margin),
            "frames": self.frames,
        }


def contracts_context(
    *,
    package: str,
    notebook_name: str,
    profiles: Sequence[FrameProfile],
    where: Mapping[str, str] | None = None,
) -> ContractsContext:
    """One schema per profiled frame; `where` says where each was seen (by frame name)."""
    frames: list[FrameContract] = []
    constants: set[str] = set()
    for profile in profiles:
        constant = _constant(profile.name, constants)
        constants.add(constant)
        columns = tuple(column_contract(c, profile.rows) for c in profile.columns)
        place = (where or {}).get(profile.name, "")
        frames.append(FrameContract(profile.name, constant, profile.rows, place, columns))
    return ContractsContext(package, notebook_name, MARGIN, tuple(frames))


def column_contract(column: ColumnProfile, rows: int) -> ColumnContract:
    """The contract of one column, from what was seen of it."""
    numeric = column.kind in (ColumnKind.INTEGER, ColumnKind.FLOAT)
    ranged = numeric and column.minimum is not None and column.maximum is not None
    ratio = (
        column.kind is ColumnKind.FLOAT
        and ranged
        and column.infinite == 0
        and 0.0 <= (column.minimum or 0.0) <= (column.maximum or 0.0) <= 1.0
        and (column.distinct or 0) >= RATIO_MIN_DISTINCT
    )
    unique = _is_id(column, rows)
    observed = None
    if ranged and not ratio and not unique and column.infinite == 0:  # ids grow: no range
        low, high = column.minimum or 0.0, column.maximum or 0.0
        observed = (_number(_round_out(low, up=False)), _number(_round_out(high, up=True)))
    present = rows - column.nulls
    categories: tuple[str, ...] = ()
    if column.values is not None and (
        column.kind is ColumnKind.CATEGORY or 2 * len(column.values) <= present
    ):
        categories = tuple(_literal(v) for v in column.values)
    return ColumnContract(
        label=_literal(column.label),
        dtype="str" if column.kind is ColumnKind.TEXT else _literal(column.dtype),
        nullable=column.nulls > 0,
        unique=unique,
        observed=observed,
        ratio=ratio,
        categories=categories,
        seen=_seen(column, rows),
    )


def _is_id(column: ColumnProfile, rows: int) -> bool:
    if column.kind not in (ColumnKind.INTEGER, ColumnKind.TEXT) or column.nulls or rows < 2:
        return False
    if column.distinct != rows:
        return False
    if ID_NAME.search(str(column.label)):
        return True
    low, high = column.minimum, column.maximum
    return low is not None and high is not None and high - low + 1 == rows


def _seen(column: ColumnProfile, rows: int) -> str:
    parts = [f"{column.dtype}"]
    if column.minimum is not None and column.maximum is not None:
        parts.append(f"{column.minimum:.6g} to {column.maximum:.6g}")
    if column.infinite:
        parts.append(f"{column.infinite} infinite")
    if column.distinct is not None and column.kind in (ColumnKind.TEXT, ColumnKind.CATEGORY):
        parts.append(f"{column.distinct} distinct")
    parts.append(f"{column.nulls} null of {rows}" if column.nulls else "no null")
    return ", ".join(parts)


def _round_out(value: float, *, up: bool) -> float:
    """`value` to SIGNIFICANT digits, rounded away from the observed range's inside."""
    exact = Decimal(repr(value))
    step = Decimal(1).scaleb(exact.adjusted() - SIGNIFICANT + 1)
    # float() of a decimal is monotonic: a decimal beyond `value` reads back beyond it too
    return float(exact.quantize(step, rounding=ROUND_CEILING if up else ROUND_FLOOR))


def _number(value: float) -> str:
    """A float as the shortest literal that reads back the same, integral ones without .0."""
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _literal(value: str | int) -> str:
    """A Python literal of a label or value, double-quoted as black writes strings."""
    if isinstance(value, int):
        return repr(value)
    text = repr(value)
    if text.startswith("'") and '"' not in value:
        text = '"' + text[1:-1].replace("\\'", "'") + '"'
    return text


def _constant(name: str, taken: set[str]) -> str:
    """A Python constant for a frame's schema: its name in capitals, made an identifier."""
    base = re.sub(r"\W+", "_", name).strip("_").upper() or "FRAME"
    if base[0].isdigit() or keyword.iskeyword(base.lower()):
        base = f"FRAME_{base}"
    constant, n = base, 2
    while constant in taken or constant in _TEMPLATE_NAMES:
        constant, n = f"{base}_{n}", n + 1
    return constant


# Module-level names of templates/contracts.py.j2 a schema constant must not shadow.
_TEMPLATE_NAMES = frozenset(
    {"MARGIN", "EXAMPLES", "MODES", "SCHEMAS", "MAX_CATEGORIES", "RATIO_MIN_DISTINCT", "ID_NAME"}
)
