"""Per value and per function: does the package return what the notebook computed?

Each value that crosses a generated function's boundary is captured in the notebook's fresh
run and in the package run, then compared (`compare`). A value gets a claim (equivalent,
differs, unverified) or, when comparing it would mean nothing (a plot, a clock reading), is
listed as display; a function's verdict is the strongest claim among its values.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

from nb2prod.convert.plan import Function, Plan
from nb2prod.core.vocabulary import Verdict
from nb2prod.verify.capture import Captured, marker
from nb2prod.verify.compare import compare, judge


@dataclass(frozen=True, slots=True)
class ValueCheck:
    function: str
    name: str
    verdict: Verdict  # a claim, or DISPLAY: not compared by nature
    detail: str = ""


@dataclass(frozen=True, slots=True)
class FunctionVerdict:
    function: str
    module: str
    cells: tuple[int, ...]
    verdict: Verdict  # a claim, or NOT_COMPARED: every value is display
    values: tuple[ValueCheck, ...]


Values = Mapping[str, object]  # name -> value (or a marker string), one function's captures
Absent = tuple[Verdict, str]  # what a value the package did not produce gets, and why

# Calls that read a clock: a value computed from one is a measurement of the run, not a result.
_CLOCKS = frozenset(
    {
        "time",
        "perf_counter",
        "monotonic",
        "process_time",
        "time_ns",
        "perf_counter_ns",
        "monotonic_ns",
        "default_timer",
        "now",
        "utcnow",
        "today",
    }
)


def compare_functions(
    plan: Plan,
    expected: Captured,
    actual: Captured,
    package_error: str | None,
    same_failure: bool = False,
) -> list[FunctionVerdict]:
    """A verdict for every generated function, from the values both runs captured.

    `same_failure`: the notebook's fresh run fails too, so a value the package did not
    produce is unverified rather than a difference.
    """
    if same_failure:
        # the notebook's fresh run fails the same way: the package is not to blame
        why = f"the notebook's fresh run fails too; the package failed with {package_error}"
        absent: Absent = (Verdict.UNVERIFIED, why)
    elif package_error:
        absent = (Verdict.DIFFERS, f"the package failed first ({package_error})")
    else:
        absent = (Verdict.DIFFERS, "not produced by the package")
    results = []
    for function in plan.functions:
        clocks = clock_names(function)
        want = expected.values.get(function.name, {})
        got = actual.values.get(function.name, {})
        checks = [
            _check_value(function.name, name, want, got, clocks, absent)
            for name in function.returns
        ]
        if not function.returns:
            checks.append(
                ValueCheck(
                    function.name,
                    "(no return value)",
                    Verdict.DISPLAY,
                    "returns nothing: its effects (plots, prints, files) are not compared",
                )
            )
        results.append(
            FunctionVerdict(
                function.name,
                function.module,
                function.cells,
                _function_verdict(checks),
                tuple(checks),
            )
        )
    return results


def _check_value(
    function: str, name: str, want: Values, got: Values, clocks: frozenset[str], absent: Absent
) -> ValueCheck:
    if name not in want:
        return ValueCheck(
            function, name, Verdict.UNVERIFIED, "the notebook's fresh run never reached this point"
        )
    if name not in got:
        return ValueCheck(function, name, *absent)
    missing = marker(want[name]) or marker(got[name])
    if missing:
        return ValueCheck(function, name, Verdict.UNVERIFIED, missing)
    judged = judge(want[name], got[name], clock_reading=name in clocks)
    if isinstance(
        judged, str
    ):  # a plot or a clock reading: nothing to claim (the golden tests agree)
        return ValueCheck(function, name, Verdict.DISPLAY, judged)
    verdict = {"equal": Verdict.EQUIVALENT, "differs": Verdict.DIFFERS}.get(
        judged.verdict, Verdict.UNVERIFIED
    )
    return ValueCheck(function, name, verdict, judged.detail)


def mark_nondeterministic(
    functions: list[FunctionVerdict], first: Captured, second: Captured
) -> list[FunctionVerdict]:
    """Differences that two fresh runs of the notebook itself show too become unverified."""
    marked = []
    for f in functions:
        values = []
        for check in f.values:
            if check.verdict is Verdict.DIFFERS:
                a = first.values.get(f.function, {}).get(check.name)
                b = second.values.get(f.function, {}).get(check.name)
                if b is not None and compare(a, b).verdict != "equal":
                    check = ValueCheck(
                        f.function,
                        check.name,
                        Verdict.UNVERIFIED,
                        "nondeterministic: it differs between two fresh runs of the notebook "
                        "itself (NB109 lists unseeded randomness)",
                    )
            values.append(check)
        marked.append(
            FunctionVerdict(f.function, f.module, f.cells, _function_verdict(values), tuple(values))
        )
    return marked


def _function_verdict(checks: list[ValueCheck]) -> Verdict:
    # plots only: listed in the report, no claim either way
    return Verdict.combine((c.verdict for c in checks), none=Verdict.NOT_COMPARED)


def clock_names(function: Function) -> frozenset[str]:
    """Names the function assigns from a clock reading, directly or through other such names."""
    tainted: set[str] = set()
    assignments: list[tuple[list[ast.expr], ast.expr]] = []  # (targets, value)
    for statement in function.statements:
        for node in ast.walk(statement.tree):
            if isinstance(node, ast.Assign):
                assignments.append((node.targets, node.value))
            elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
                assignments.append(([node.target], node.value))
    changed = True
    while changed:
        changed = False
        for targets, value in assignments:
            reads_clock = any(
                (isinstance(sub, ast.Call) and _called_name(sub.func) in _CLOCKS)
                or (isinstance(sub, ast.Name) and sub.id in tainted)
                for sub in ast.walk(value)
            )
            if not reads_clock:
                continue
            for name in (n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)):
                if name not in tainted:
                    tainted.add(name)
                    changed = True
    return frozenset(tainted)


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""
