"""`verify`: run the notebook fresh and the generated package, compare, and give a verdict.

- The baseline is a fresh top-to-bottom run of the notebook (papermill, scratch copy of its
  folder), with capture cells injected after each generated function's last cell.
- The package runs at the same time, in its own scratch copy, its functions wrapped to
  capture their return values (`package_run`).
- Stored vs fresh outputs per cell -> NB301 / NB302 (the notebook's hidden state); cells that
  differ are run a second time to tell nondeterminism (NB303) from hidden state.
- Fresh notebook vs package, per value crossing a function boundary -> equivalent, differs
  (NB401) or unverified (NB402) (`values`). Nothing is called equivalent without a comparison,
  and nothing differs unless a second fresh run of the notebook gives its value again.
- `check`'s findings for the notebook are decided as `check --confirm` decides them
  (docs/confirm.md), by its hooks riding on these same runs: no run of their own. Refuted
  findings are dropped; the verdict of equivalence does not depend on them.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nb2prod.analysis.suppressions import is_suppressed
from nb2prod.convert.annotations import FunctionTypes
from nb2prod.convert.plan import Plan
from nb2prod.core.findings import Finding
from nb2prod.core.rules import finding
from nb2prod.core.vocabulary import Verdict
from nb2prod.notebook.load import load
from nb2prod.notebook.model import Cell, Notebook
from nb2prod.verify.capture import (
    Captured,
    notebook_injections,
    read_captures,
    with_inline_captures,
)
from nb2prod.verify.confirm import Confirmation, Hooks, undecided
from nb2prod.verify.execute import CellRun, NotebookRun, run_notebook
from nb2prod.verify.output_limits import cap_outputs
from nb2prod.verify.package_run import PackageRun
from nb2prod.verify.predict_path import (
    PredictCheck,
    PredictRun,
    PredictSetup,
    judge_predict,
    predict_setup,
)
from nb2prod.verify.run_page import fresh_notebook
from nb2prod.verify.sandbox import scratch_copy
from nb2prod.verify.values import (
    SEED,
    FunctionVerdict,
    ValueCheck,
    boundary_types,
    compare_functions,
    confirm_differences,
    seeds_to_confirm,
)


@dataclass(frozen=True, slots=True)
class CellCheck:
    cell: int
    cell_id: str
    status: str  # "same", "differs", "nondeterministic", "fails-fresh", "error-both", "not-run", "no-stored-output"
    differences: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verification:
    notebook: str
    package_dir: str
    verdict: Verdict  # always a claim
    cells: tuple[CellCheck, ...]
    functions: tuple[FunctionVerdict, ...]
    findings: tuple[Finding, ...]
    imported_modules: tuple[str, ...]
    notebook_seconds: float
    package_seconds: float
    wall_seconds: float
    package_error: str | None = None
    golden_tests: Mapping[str, str] = field(
        default_factory=dict
    )  # function -> what its golden test holds
    normalizers: tuple[str, ...] = field(default=())
    # the notebook as its fresh run left it (run_page.fresh_notebook): nb2prod-run.html shows it
    fresh_notebook: Notebook | None = None
    # check's findings (as `nb2prod check` reports them for the notebook), every one decided
    # by these runs (confirmed True / False / None) with its evidence, refuted ones included;
    # `findings` holds the ones not refuted. None: not asked for (`confirm_findings=False`).
    confirmation: Confirmation | None = None
    # function -> the types its parameters and returned values had in both runs (where they
    # agree): the generated package's annotations (convert/annotations.py)
    types: Mapping[str, FunctionTypes] = field(default_factory=dict)
    # the predict path (predict_path.py): predict() on the rows the notebook scored, beside
    # the verdict above and not part of it; None: the notebook fits no model
    predict: PredictCheck | None = None
    # what the generated tests/test_predict.py holds, or why there is none ("": not asked for)
    predict_test: str = ""

    @property
    def first_divergence(self) -> FunctionVerdict | None:
        return next((f for f in self.functions if f.verdict is Verdict.DIFFERS), None)

    @property
    def first_difference(self) -> ValueCheck | None:
        """The first value that differs in the first diverging function."""
        first = self.first_divergence
        return (
            next((c for c in first.values if c.verdict is Verdict.DIFFERS), None) if first else None
        )


def _truncated(source: Path, last: int, folder: Path) -> tuple[Path, int | None]:
    """A copy of the notebook's folder in which the notebook stops after cell `last`, and its
    number of cells (None: the notebook as it is, whole)."""
    if source.suffix != ".ipynb":
        return source, None
    data = json.loads(source.read_text("utf-8"))
    if not isinstance(data.get("cells"), list):
        return source, None  # nbformat 3: run it whole
    data["cells"] = data["cells"][: last + 1]
    copy = scratch_copy(source, folder / "work")
    target = copy / source.name
    target.write_text(json.dumps(data), encoding="utf-8")
    return target, len(data["cells"])


def _draws_unseeded(notebook: Notebook) -> bool:
    from nb2prod.lint.check import analyze

    try:
        return any(f.code == "NB109" for f in analyze(notebook, frozenset({"NB109"})).findings)
    except Exception:
        return False


def _rerun_plain(
    source: Path, last: int, kernel: str | None, cell_timeout: float, hooks: Hooks | None = None
) -> NotebookRun:
    """The notebook as it is (no seeds, no capture), up to cell `last`; with the confirm hooks
    of its second run, which only read the kernel's state."""
    with tempfile.TemporaryDirectory(prefix="nb2prod-rerun-") as rerun_dir:
        path, cells = _truncated(source, last, Path(rerun_dir))
        inject, env = hooks.second(cells, cell_timeout) if hooks is not None else ([], None)
        return run_notebook(path, kernel=kernel, cell_timeout=cell_timeout, inject=inject, env=env)


def _check_findings(notebook_path: str) -> tuple[Finding, ...]:
    """What `nb2prod check` reports for the notebook (its [tool.nb2prod] rules, suppressions
    applied); nothing when check cannot read it (verify's own run says why)."""
    from nb2prod.lint.check import Checked, check_file

    checked = check_file(notebook_path)
    return checked.findings if isinstance(checked, Checked) else ()


class _Background:
    """A call on its own thread; `outcome()` waits and returns it, or None when it raised."""

    def __init__(self, func: Callable[..., NotebookRun], *args: object) -> None:
        self._value: NotebookRun | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(func, args), daemon=True)
        self._thread.start()

    def _run(self, func: Callable[..., NotebookRun], args: tuple[object, ...]) -> None:
        try:
            self._value = func(*args)
        except BaseException as exc:
            self._error = exc

    def outcome(self) -> NotebookRun | None:
        """The run, or None when it failed (whoever needs it then runs it again and sees why)."""
        self._thread.join()
        return self._value

    def wait(self) -> None:
        self._thread.join()


def _stored_error(outputs: Sequence[Mapping[str, Any]]) -> bool:
    return any(isinstance(o, dict) and o.get("output_type") == "error" for o in outputs)


def verify(
    notebook_path: str,
    plan: Plan,
    package_dir: Path | None,
    *,
    kernel: str | None = None,
    cell_timeout: float = 600,
    progress: Callable[[int, int], None] | None = None,
    second_run: bool = True,
    golden_tests: bool = False,
    confirm_findings: bool = True,
) -> Verification:
    """Run notebook and package, compare; the verdict is "equivalent" only with evidence.

    With `confirm_findings`, check's findings for the notebook are decided by the same runs
    (`Verification.confirmation`), and the refuted ones are left out of `findings`.
    """
    with tempfile.TemporaryDirectory(prefix="nb2prod-confirm-") as confirm_dir:
        return _verify(
            notebook_path,
            plan,
            package_dir,
            kernel=kernel,
            cell_timeout=cell_timeout,
            progress=progress,
            second_run=second_run,
            golden_tests=golden_tests,
            confirm_dir=Path(confirm_dir) if confirm_findings else None,
        )


def _verify(
    notebook_path: str,
    plan: Plan,
    package_dir: Path | None,
    *,
    kernel: str | None,
    cell_timeout: float,
    progress: Callable[[int, int], None] | None,
    second_run: bool,
    golden_tests: bool,
    confirm_dir: Path | None,
) -> Verification:
    from nb2prod.verify.normalize import NORMALIZERS

    wall = time.perf_counter()
    notebook = load(notebook_path)
    source = Path(notebook_path).resolve()
    started = time.perf_counter()
    static = _check_findings(notebook_path) if confirm_dir is not None else ()
    hooks = Hooks.of(notebook, static, confirm_dir) if confirm_dir is not None else None
    deciding = time.perf_counter() - started  # nb2prod's own time on check's findings
    # NB109 cells the unseeded re-run must reach for the hooks to compare them
    random_cells = [f.cell for f in hooks.findings if f.code == "NB109"] if hooks else []
    # The unseeded second run tells nondeterministic cells from hidden state. When the notebook
    # draws unseeded random numbers (NB109), stored outputs will likely differ: it starts now,
    # beside the first run, on the second core. Otherwise it runs only if some cell differs.
    stored = [
        i for i, c in enumerate(notebook.cells) if c.is_code and (c.outputs or c.execution_count)
    ]
    rerun = (
        _Background(_rerun_plain, source, max(stored + random_cells), kernel, cell_timeout, hooks)
        if second_run and stored and (os.cpu_count() or 1) > 1 and _draws_unseeded(notebook)
        else None
    )
    package: PackageRun | None = None
    predicting: PredictRun | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="nb2prod-capture-") as tmp:
            nb_dir, pkg_dir = Path(tmp) / "notebook", Path(tmp) / "package"
            nb_dir.mkdir()
            pkg_dir.mkdir()
            package_timeout = cell_timeout * 4 if cell_timeout else None
            if package_dir is not None:
                package = PackageRun(plan, package_dir, source, pkg_dir, package_timeout)
                package.start()  # the package runs while the notebook runs
            setup = predict_setup(plan, package_dir)
            if package_dir is not None and setup is not None and not isinstance(setup, str):
                predict_dir = Path(tmp) / "predict"
                predict_dir.mkdir()
                predicting = PredictRun(
                    plan, package_dir, source, setup, predict_dir, package_timeout
                )
                predicting.start()  # train and predict, beside the two runs
            planned, inline = notebook_injections(plan, notebook)
            injections = [(i.before, i.source) for i in planned]
            if isinstance(setup, PredictSetup):  # the fitted-model oracle, if it needs one
                injections += setup.injections()
            env = {"NB2PROD_CAPTURE_DIR": str(nb_dir), "PYTHONHASHSEED": str(SEED)}
            if hooks is not None:  # after verify's own: the seeds and captures come first
                confirm_inject, confirm_env = hooks.first(cell_timeout)
                injections += confirm_inject
                env.update(confirm_env)
            run_source = source
            if inline:
                run_source = with_inline_captures(
                    source, inline, scratch_copy(source, Path(tmp) / "inline")
                )
            fresh = run_notebook(
                run_source,
                kernel=kernel,
                cell_timeout=cell_timeout,
                inject=injections,
                env=env,
                progress=progress,
            )
            if package is not None:
                package.join()
            if predicting is not None:
                predicting.join()
            expected = read_captures(nb_dir)
            captured = package.captured if package is not None else None
            actual = captured if captured is not None else read_captures(pkg_dir)
            package_error = package.error if package is not None else None
            # when the notebook's own fresh run fails too, a package that fails is not evidence of a
            # conversion error (a NameError at module level is an UnboundLocalError in a function)
            same_failure = bool(fresh.failed and package_error)
            functions = compare_functions(plan, expected, actual, package_error, same_failure)
            types = boundary_types(plan, expected, actual)
            # "differs" only with proof: a second fresh run of the notebook must give the value
            # again (seeded as the first, or from another seed where the package's draws from the
            # global generators are out of step), else it is unverified, never blamed on the package
            confirming: dict[int, Captured] = {}
            for seed in seeds_to_confirm(functions, expected, actual):
                again_dir = Path(tmp) / f"notebook-seed-{seed}"
                again_dir.mkdir()
                planned_again, _ = notebook_injections(plan, notebook, seed)
                run_notebook(
                    run_source,
                    kernel=kernel,
                    cell_timeout=cell_timeout,
                    inject=[(i.before, i.source) for i in planned_again],
                    env={"NB2PROD_CAPTURE_DIR": str(again_dir), "PYTHONHASHSEED": str(seed)},
                )
                confirming[seed] = read_captures(again_dir)
            if confirming:
                functions = confirm_differences(functions, expected, actual, confirming)
            predict = judge_predict(plan, setup, predicting, expected)
            predict_test = ""
            if golden_tests and predict is not None and package_dir is not None:
                from nb2prod.verify.fixtures import write_predict_test

                predict_test = write_predict_test(plan, package_dir, predict, predicting, expected)
            golden: dict[str, str] = {}
            equivalent = {f.function for f in functions if f.verdict is Verdict.EQUIVALENT}
            if golden_tests and fresh.failed is None and equivalent and package_dir is not None:
                from nb2prod.verify.fixtures import write_golden_tests

                # values verify did not compare (plots, clock readings) are not compared there either
                not_compared = {
                    f.function: [v.name for v in f.values if v.verdict is Verdict.DISPLAY]
                    for f in functions
                }

                with tempfile.TemporaryDirectory(prefix="nb2prod-fixtures-") as work:
                    golden = write_golden_tests(
                        plan,
                        nb_dir,
                        package_dir,
                        scratch_copy(source, Path(work) / "w"),
                        only=equivalent,
                        not_compared=not_compared,
                    )

        cells, findings = _check_cells(notebook, fresh, cell_timeout)
    except BaseException:
        # nothing verify started outlives it, even on an error or Ctrl-C
        if package is not None:
            package.stop()
        if predicting is not None:
            predicting.stop()
        if rerun is not None:
            rerun.wait()
        raise
    again = rerun.outcome() if rerun is not None else None  # also waits for it when nothing differs
    differing = [check.cell for check in cells if check.status == "differs"]
    marking = bool(differing and second_run and fresh.failed is None)
    # an NB109 finding the fresh run reached is decided by the re-run alone
    random_reached = hooks.second_run_cells(fresh) if hooks is not None and second_run else []
    if again is None and (marking or random_reached):
        # the plain notebook, unseeded and without capture, up to the last cell it must reach
        last = max((differing if marking else []) + random_reached)
        again = _rerun_plain(source, last, kernel, cell_timeout, hooks)
    if marking and again is not None:
        # a cell whose output changes between fresh runs is nondeterministic, not hidden state
        cells = _mark_nondeterministic_cells(cells, fresh, again)
    findings += _cell_findings(cells)
    findings += _value_findings(notebook, functions)
    confirmation: Confirmation | None = None
    if confirm_dir is not None:
        started = time.perf_counter()
        if hooks is not None:
            confirmation = hooks.decide(static, fresh, again)
        else:  # nothing running decides: every finding undecided, no hook ran
            confirmation = undecided(notebook_path, static)
        deciding += time.perf_counter() - started
        confirmation = replace(confirmation, seconds=deciding)
        findings += [f for f in confirmation.findings if f.confirmed is not False]
    # functions that only draw or print (verdict "not-compared") make no claim either way; the
    # verdict rests on the functions whose values were compared, and needs at least one of them
    overall = Verdict.combine((f.verdict for f in functions), none=Verdict.UNVERIFIED)
    if overall is Verdict.EQUIVALENT and fresh.failed is not None:
        overall = Verdict.UNVERIFIED
    findings = [f for f in findings if not is_suppressed(f, notebook.cells)]
    findings.sort(key=lambda f: f.sort_key)
    return Verification(
        notebook=notebook_path,
        package_dir=str(package_dir or ""),
        verdict=overall,
        cells=tuple(cells),
        functions=tuple(functions),
        findings=tuple(findings),
        imported_modules=expected.modules,
        notebook_seconds=fresh.seconds,
        package_seconds=package.seconds if package is not None else 0.0,
        wall_seconds=time.perf_counter() - wall,
        package_error=package_error,
        golden_tests=golden,
        normalizers=tuple(n.name for n in NORMALIZERS),
        fresh_notebook=fresh_notebook(notebook, fresh),
        confirmation=confirmation,
        types=types,
        predict=predict,
        predict_test=predict_test,
    )


def _check_cells(
    notebook: Notebook, fresh: NotebookRun, cell_timeout: float
) -> tuple[list[CellCheck], list[Finding]]:
    """Each code cell's stored outputs against the fresh run; failures are findings now."""
    cells: list[CellCheck] = []
    findings: list[Finding] = []
    for run in fresh.cells:
        cell = notebook.cells[run.index]
        if not cell.is_code:
            continue
        check, problem = _check_cell(cell, run, cell_timeout)
        cells.append(check)
        if problem is not None:
            code, message = problem
            findings.append(finding(code, run.index, cell.id, message))
    return cells, findings


def _check_cell(
    cell: Cell, run: CellRun, cell_timeout: float
) -> tuple[CellCheck, tuple[str, str] | None]:
    """The cell's status, and (rule, message) when the fresh run failed there."""
    from nb2prod.verify.outputs import compare_outputs

    ran = cell.execution_count is not None or bool(cell.outputs)  # as the stored notebook shows
    error = (run.error or "",)
    if run.status == "not-run":
        return CellCheck(run.index, cell.id, "not-run"), None
    if run.status == "timeout":
        message = f"cell timed out after {cell_timeout:g} s in the fresh run"
        return CellCheck(run.index, cell.id, "timeout", error), ("NB304", message)
    if run.status == "error":
        if run.unseen:  # the run's view made it fail, not the notebook: unverified, not NB302
            return CellCheck(run.index, cell.id, "fails-fresh", error), None
        if not ran:
            message = (
                f"fresh run fails at this cell ({run.error}); the stored notebook never ran it"
            )
            return CellCheck(run.index, cell.id, "fails-fresh", error), ("NB302", message)
        if _stored_error(cell.outputs):
            return CellCheck(run.index, cell.id, "error-both", error), None
        if (run.error or "").startswith(("ModuleNotFoundError", "ImportError")):
            why = "the environment lacks a package the notebook had (see nb2prod pin), not hidden state"
        else:
            why = "the stored notebook shows it ran: hidden state"
        message = f"fresh run fails at this cell ({run.error}); {why}"
        return CellCheck(run.index, cell.id, "fails-fresh", error), ("NB302", message)
    if not ran:
        return CellCheck(run.index, cell.id, "no-stored-output"), None
    # the stored outputs with the fresh run's output limits
    outcome = compare_outputs(cap_outputs(cell.outputs), run.outputs)
    if outcome.same:
        return CellCheck(run.index, cell.id, "same"), None
    return CellCheck(run.index, cell.id, "differs", tuple(outcome.differences)), None


def _mark_nondeterministic_cells(
    cells: list[CellCheck], fresh: NotebookRun, again: NotebookRun
) -> list[CellCheck]:
    """Cells whose outputs differ between two fresh runs are nondeterministic, not hidden state."""
    from nb2prod.verify.outputs import compare_outputs

    rerun = {c.index: c for c in again.cells}
    first = {c.index: c for c in fresh.cells}
    marked = []
    for check in cells:
        other = rerun.get(check.cell)
        if (
            check.status == "differs"
            and other is not None
            and not compare_outputs(first[check.cell].outputs, other.outputs).same
        ):
            check = CellCheck(check.cell, check.cell_id, "nondeterministic", check.differences)
        marked.append(check)
    return marked


def _cell_findings(cells: list[CellCheck]) -> list[Finding]:
    """NB301 for stored outputs a fresh run does not give, NB303 for nondeterministic ones."""
    findings = []
    for check in cells:
        if check.status == "differs":
            message = "stored output differs from a fresh run: " + "; ".join(check.differences[:2])
            findings.append(finding("NB301", check.cell, check.cell_id, message))
        elif check.status == "nondeterministic":
            message = (
                "output differs between two fresh runs: nondeterministic, so not "
                "counted as hidden state"
            )
            findings.append(finding("NB303", check.cell, check.cell_id, message))
    return findings


def _value_findings(notebook: Notebook, functions: list[FunctionVerdict]) -> list[Finding]:
    """NB401 for a value the package gets wrong, NB402 for one nobody could compare: one
    finding per function and reason, naming every value it holds for (a package that failed
    fails all of a function's values alike)."""
    findings = []
    for verdict in functions:
        at = verdict.cells[-1] if verdict.cells else 0
        cell_id = notebook.cells[at].id if 0 <= at < len(notebook.cells) else ""
        alike: dict[tuple[Verdict, str], list[str]] = {}
        for value in verdict.values:
            if value.verdict in (Verdict.DIFFERS, Verdict.UNVERIFIED):
                alike.setdefault((value.verdict, _one_line(value.detail)), []).append(value.name)
            # display values are listed in the report, not findings
        for (kind, detail), names in alike.items():
            quoted = ", ".join(f"'{n}'" for n in names)
            if kind is Verdict.DIFFERS:
                code = "NB401"
                message = (
                    f"{verdict.function}() returns {quoted} different from the notebook: {detail}"
                )
            else:
                code = "NB402"
                message = f"{verdict.function}(): {quoted} unverified: {detail}"
            findings.append(finding(code, at, cell_id, message, names=tuple(names)))
    return findings


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())[:300]
