"""Type-aware comparison of a value captured in two runs (DESIGN.md, "Verification semantics").

`compare(expected, actual)` never raises and answers "equal" only with evidence: a value
whose equality means nothing (a figure, a generator, an open file) is "uncomparable", and a
comparison that breaks is "uncomparable" with the reason. Every tolerance is a field of
`Tolerances`; docs/verification.md lists them. Objects compare by what they mean, never by
private attributes, caches or buffers; `register(match, describe)` teaches it a library type.
The same values give the same answer every time: nothing here depends on the clock, on
addresses or on the order of a set.

`nb2prod verify` and the golden tests of every generated package run this very code: the
folder is copied byte for byte into the package's tests/ as `_nb2prod_compare`, so it imports
only the standard library and itself (numpy and pandas are used when the values hold them).
"""

from __future__ import annotations

from .core import (
    DEFAULT_TOLERANCES,
    DETAIL_COLUMNS,
    DETAIL_ROWS,
    MAX_DEPTH,
    MAX_VALUES,
    Comparison,
    Outcome,
    Session,
    Tolerances,
    exception_text,
)
from .dispatch import dispatch
from .kinds import DISPLAY_MODULES, is_display_object, is_display_only, is_duration
from .objects import PublicState, RunFunction
from .registry import register

__all__ = [
    "CLOCK_READING",
    "DEFAULT_TOLERANCES",
    "DETAIL_COLUMNS",
    "DETAIL_ROWS",
    "DISPLAY_MODULES",
    "DISPLAY_OBJECT",
    "MAX_DEPTH",
    "MAX_VALUES",
    "Comparison",
    "Outcome",
    "PublicState",
    "RunFunction",
    "Tolerances",
    "assert_same",
    "compare",
    "is_display_object",
    "is_display_only",
    "is_duration",
    "judge",
    "register",
]

DISPLAY_OBJECT = "a plot or display object, not compared"
CLOCK_READING = (
    "a clock reading: computed from the time of day or a timer (the code says so), it is a "
    "measurement of the run, not a result; not compared"
)


def compare(
    expected: object, actual: object, tolerances: Tolerances = DEFAULT_TOLERANCES
) -> Comparison:
    """Compare a value from the reference run with the same value from the other run."""
    try:
        return Session(tolerances, dispatch).value(expected, actual, "", 0)
    except Exception as exc:
        return Comparison("uncomparable", f"comparison failed: {exception_text(exc)}")


def judge(
    expected: object,
    actual: object,
    *,
    clock_reading: bool = False,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
) -> Comparison | str:
    """Compare one captured value as verify does; a string says why it is not compared.

    A plot or display object has nothing to compare. A duration or time the code computes from
    a clock (`clock_reading`, decided from the code) is a measurement of the run: moved or not,
    it proves nothing (verify's runs read a steady clock, on which equal readings are the rule).
    """
    if is_display_only(expected):
        return f"{type(expected).__name__}: {DISPLAY_OBJECT}"
    if clock_reading and is_duration(expected) and is_duration(actual):
        return CLOCK_READING
    return compare(expected, actual, tolerances)


def assert_same(
    expected: object,
    actual: object,
    where: str,
    *,
    clock_reading: bool = False,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
) -> None:
    """Fail unless the values are equal as `nb2prod verify` judges them (the golden tests).

    What verify does not compare (plots, a clock reading that moved) passes; a value that
    cannot be compared fails, since a golden test that cannot compare proves nothing.
    """
    result = judge(expected, actual, clock_reading=clock_reading, tolerances=tolerances)
    if isinstance(result, Comparison) and result.verdict != "equal":
        raise AssertionError(f"{where}: {result.verdict}: {result.detail}")
