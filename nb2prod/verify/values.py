"""Per value and per function: does the package return what the notebook computed?

Each value that crosses a generated function's boundary is captured in the notebook's fresh
run and in the package run, then compared (`compare`). A value gets a claim (equivalent,
differs, unverified) or, when comparing it would mean nothing (a plot, a clock reading), is
listed as display; a function's verdict is the strongest claim among its values. A value
"differs" only when a second fresh run of the notebook gives the notebook's value again
(`confirm_differences`).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

from nb2prod.convert.annotations import FunctionTypes
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


def boundary_types(plan: Plan, expected: Captured, actual: Captured) -> dict[str, FunctionTypes]:
    """The type of each parameter and returned value of each function, as the runs captured it.

    Where both runs captured a value, their types must agree (else it is left out: the
    annotation says `Any`); where only one did, its type is taken. In the package run an
    argument is what the last earlier function returning that name returned (pipeline.run()
    passes nothing else), so its type is that return's.
    """
    found: dict[str, FunctionTypes] = {}
    latest: dict[str, str] = {}  # name -> the package run's type of its latest return
    for function in plan.functions:
        passed = expected.arguments.get(function.name, {})
        params = _agreed({p: passed.get(p) for p in function.params}, latest)
        returned = actual.types.get(function.name, {})
        returns = _agreed(
            {r: expected.types.get(function.name, {}).get(r) for r in function.returns},
            returned,
        )
        found[function.name] = FunctionTypes(params, returns)
        for name in function.returns:
            if name in returned:
                latest[name] = returned[name]
            else:  # the package never got here: no type for what it would pass on
                latest.pop(name, None)
    return found


def _agreed(notebook: Mapping[str, str | None], package: Mapping[str, str]) -> dict[str, str]:
    agreed = {}
    for name, mine in notebook.items():
        theirs = package.get(name)
        if mine and theirs and mine != theirs:
            continue  # the runs disagree: no type to claim
        if mine or theirs:
            agreed[name] = mine or theirs or ""
    return agreed


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


# The global random generators start from SEED in the notebook's fresh run and in the package
# run (programs/seed.py), and from OTHER_SEED in the second run that asks whether a value
# depends on them at all.
SEED = 0
OTHER_SEED = 1


def confirming_seed(function: str, first: Captured, package: Captured) -> int:
    """The seed of the second fresh run that can confirm a difference in this function's values.

    Where the global generators stood at the same state in the notebook and in the package when
    the values were captured, both drew the same numbers: a run seeded like the first tells
    whether anything else (a generator nb2prod does not seed, the clock) changes the value.
    Where they stood elsewhere, the package draws at other points than the notebook (a statement
    left out of it drew from them), and a difference proves something only for a value that
    does not depend on them: a run from another seed tells.
    """
    mine = first.random_states.get(function, "")
    theirs = package.random_states.get(function, "")
    return OTHER_SEED if mine and theirs and mine != theirs else SEED


def seeds_to_confirm(
    functions: list[FunctionVerdict], first: Captured, package: Captured
) -> tuple[int, ...]:
    """The second fresh runs of the notebook the differing values need, by seed (none: none differ)."""
    seeds = {
        confirming_seed(f.function, first, package)
        for f in functions
        if any(c.verdict is Verdict.DIFFERS for c in f.values)
    }
    return tuple(sorted(seeds))


def confirm_differences(
    functions: list[FunctionVerdict],
    first: Captured,
    package: Captured,
    again: Mapping[int, Captured],
) -> list[FunctionVerdict]:
    """Keep a difference (NB401) only where a second fresh run of the notebook gives its value again.

    Otherwise nothing shows the package is at fault: the value is unverified (NB402), as
    nondeterministic when the notebook's two runs disagree, as unconfirmed when the second run
    has no value to show. No static finding (NB109) is needed for either.
    """
    confirmed = []
    for f in functions:
        seed = confirming_seed(f.function, first, package)
        values = [
            _confirmed(f.function, check, first, again.get(seed), seed)
            if check.verdict is Verdict.DIFFERS
            else check
            for check in f.values
        ]
        confirmed.append(
            FunctionVerdict(f.function, f.module, f.cells, _function_verdict(values), tuple(values))
        )
    return confirmed


def _confirmed(
    function: str, check: ValueCheck, first: Captured, second: Captured | None, seed: int
) -> ValueCheck:
    def unverified(reason: str) -> ValueCheck:
        return ValueCheck(function, check.name, Verdict.UNVERIFIED, reason)

    if second is None:
        return unverified(f"{check.detail} (not confirmed: no second fresh run of the notebook)")
    again = second.values.get(function, {})
    if check.name not in again:
        return unverified(
            "not confirmed: a second fresh run of the notebook never produced it, so the "
            f"difference from the package may be the notebook's own ({check.detail})"
        )
    missing = marker(again[check.name])
    if missing:
        return unverified(f"not confirmed: the second fresh run could not capture it ({missing})")
    repeat = compare(first.values[function][check.name], again[check.name])
    if repeat.equal:
        return check  # the notebook gives this value every time: the package does not
    if seed == SEED:
        return unverified(
            "nondeterministic: it differs between two fresh runs of the notebook itself "
            f"({repeat.detail}), so the package's value proves nothing"
        )
    return unverified(
        "nondeterministic: a fresh run of the notebook from another seed gives another value "
        f"({repeat.detail}), and the package draws from the global random generators at other "
        "points than the notebook (a statement left out of the package drew from them)"
    )


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
