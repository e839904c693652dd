"""The records every comparer shares: tolerances, outcomes, limits, and the walk that recurses.

Standard library only: this folder is copied byte for byte into each generated package's
tests/ (as `_nb2prod_compare`), where nb2prod is not installed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

# What one comparison finds (verify turns it into a Verdict of nb2prod.core.vocabulary).
Outcome = Literal["equal", "differs", "uncomparable"]

# Limits of the comparison itself, not tolerances: they never turn a difference into "equal".
MAX_DEPTH = 100  # deeper nesting is "uncomparable" (keeps clear of Python's recursion limit)
MAX_VALUES = 1_000_000  # values visited one by one (arrays and columns count once)
DETAIL_ROWS = 5  # differing rows, elements or items shown in a detail
DETAIL_COLUMNS = 5  # differing DataFrame columns shown side by side


@dataclass(frozen=True, slots=True)
class Tolerances:
    """Every tolerance a comparison applies; defaults follow numpy and pandas."""

    # Floats a, b are equal when |a - b| <= max(rtol * max(|a|, |b|), atol): math.isclose,
    # and pandas' assert_*_equal, so scalars, arrays, frames and printed numbers agree.
    rtol: float = 1e-5
    atol: float = 1e-8
    # int64 vs float64 of equal values is a changed return type, so a difference by default.
    check_dtype: bool = True

    def __post_init__(self) -> None:
        if not (self.rtol >= 0 and self.atol >= 0):  # also rejects NaN
            raise ValueError(
                f"tolerances must be non-negative, got rtol={self.rtol}, atol={self.atol}"
            )

    def describe(self) -> str:
        """Render the tolerances for a detail line."""
        return f"rtol={self.rtol:g}, atol={self.atol:g}"

    def close(self, x: float, y: float) -> bool:
        """Apply the float rule to two Python floats; NaN equals NaN (both runs found "missing")."""
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        return math.isclose(x, y, rel_tol=self.rtol, abs_tol=self.atol)


DEFAULT_TOLERANCES = Tolerances()


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome of comparing one value; `max_abs_diff` is set for numeric differences."""

    verdict: Outcome
    detail: str
    max_abs_diff: float | None = None

    @property
    def equal(self) -> bool:
        return self.verdict == "equal"


class Uncomparable(Exception):
    """Raised inside vectorised helpers when an element cannot be compared."""


def at(path: str, message: str) -> str:
    """Prefix a detail with the place in the value where it was found."""
    return f"at {path}: {message}" if path else message


def exception_text(exc: BaseException) -> str:
    """Render an exception in one short line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


Dispatch = Callable[["Session", Any, Any, str, int], Comparison]


class Session:
    """One comparison: the tolerances, the pairs on the current path (cycles), the work done."""

    def __init__(self, tolerances: Tolerances, dispatch: Dispatch) -> None:
        self.tol = tolerances
        self.active: set[tuple[int, int]] = set()
        self.visits = 0  # bounds the work on huge or self-generating objects (a Mock's attributes)
        self._dispatch = dispatch

    def value(self, e: Any, a: Any, path: str, depth: int) -> Comparison:
        """Compare two values of any type; exceptions become "uncomparable" at this path."""
        self.visits += 1
        if self.visits > MAX_VALUES:
            return Comparison(
                "uncomparable", at(path, f"more than {MAX_VALUES:,} values to compare one by one")
            )
        if depth > MAX_DEPTH:
            return Comparison("uncomparable", at(path, f"nested deeper than {MAX_DEPTH} levels"))
        try:
            return self._dispatch(self, e, a, path, depth)
        except Uncomparable as exc:
            return Comparison("uncomparable", at(path, str(exc)))
        except Exception as exc:
            return Comparison("uncomparable", at(path, f"comparison failed: {exception_text(exc)}"))

    def differs(self, path: str, message: str, max_abs_diff: float | None = None) -> Comparison:
        return Comparison("differs", at(path, message), max_abs_diff)

    def combine(self, results: Iterable[Comparison], equal_detail: str) -> Comparison:
        """Return the first difference, else the first uncomparable item, else equal."""
        unknown = None
        for result in results:
            if result.verdict == "differs":
                return result
            if result.verdict == "uncomparable" and unknown is None:
                unknown = result
            if self.visits > MAX_VALUES:  # out of budget: the rest cannot change "uncomparable"
                break
        return unknown or Comparison("equal", equal_detail)

    def attributes(
        self, pairs: Iterable[tuple[str, Any, Any]], path: str, depth: int
    ) -> Comparison:
        """Compare named parts one by one (`.name` in the path)."""
        return self.combine(
            (self.value(x, y, f"{path}.{name}", depth + 1) for name, x, y in pairs),
            "attributes equal",
        )
