"""`verify`: run the notebook fresh and the generated package, compare, and give a verdict.

- The baseline is a fresh top-to-bottom run of the notebook (papermill, scratch copy of its
  folder), with capture cells injected after each generated function's last cell.
- The package runs at the same time, in its own scratch copy, its functions wrapped to
  capture their return values.
- Stored vs fresh outputs per cell -> NB301 / NB302 (the notebook's hidden state); cells that
  differ are run a second time to tell nondeterminism (NB303) from hidden state.
- Fresh notebook vs package, per value crossing a function boundary -> equivalent, differs
  (NB401) or unverified (NB402). Nothing is called equivalent without a comparison.
"""

from __future__ import annotations

import ast
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nb2prod.analysis.suppressions import is_suppressed
from nb2prod.convert.plan import Function, Plan
from nb2prod.core.findings import Finding, Severity
from nb2prod.notebook.load import load
from nb2prod.notebook.model import Notebook
from nb2prod.verify.capture import (
    Captured,
    marker,
    notebook_injections,
    package_runner,
    read_captures,
    with_inline_captures,
)

if TYPE_CHECKING:
    from nb2prod.verify.execute import NotebookRun

# Execution and conversion rules (docs/rules/NB3xx.md, NB4xx.md): code -> (title, severity).
VERIFY_RULES: dict[str, tuple[str, Severity]] = {
    "NB301": ("stored output differs from a fresh run", Severity.WARNING),
    "NB302": ("fresh run fails at this cell", Severity.ERROR),
    "NB303": ("nondeterministic output", Severity.WARNING),
    "NB304": ("cell timed out", Severity.ERROR),
    "NB401": ("generated package differs from the notebook", Severity.ERROR),
    "NB402": ("value could not be captured or compared", Severity.WARNING),
}


@dataclass(frozen=True, slots=True)
class ValueCheck:
    function: str
    name: str
    verdict: str  # "equivalent", "differs", "unverified"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class FunctionVerdict:
    function: str
    module: str
    cells: tuple[int, ...]
    verdict: str  # "equivalent", "differs", "unverified"
    values: tuple[ValueCheck, ...]


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
    verdict: str  # "equivalent", "differs", "unverified"
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

    @property
    def first_divergence(self) -> FunctionVerdict | None:
        return next((f for f in self.functions if f.verdict == "differs"), None)


def _copy_folder(notebook: Path, into: Path) -> Path:
    """A scratch copy of the notebook's folder, made as the fresh run makes its own."""
    from nb2prod.verify.execute import copy_notebook_folder

    copy_notebook_folder(notebook, into)
    return into


def _run_package(
    plan: Plan,
    package_dir: Path,
    notebook: Path,
    capture_dir: Path,
    timeout: float | None,
    result: dict[str, object],
) -> None:
    """Run the package's pipeline with capture, in its own scratch copy of the notebook's folder."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nb2prod-package-") as tmp:
        scratch = _copy_folder(notebook, Path(tmp) / "work")
        env = {
            **os.environ,
            "PYTHONPATH": str(package_dir / "src"),
            "NB2PROD_CAPTURE_DIR": str(capture_dir),
            "MPLBACKEND": "Agg",
            "PYTHONHASHSEED": "0",
        }
        # output goes to files, and only the end of stderr is read back: a flood is not kept
        with open(Path(tmp) / "stderr", "w+b") as err:
            proc = subprocess.Popen(
                [sys.executable, "-c", package_runner(plan)],
                cwd=scratch,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
                stdin=subprocess.DEVNULL,
            )
            result["process"] = proc  # verify() kills it if it stops early
            try:
                proc.wait(timeout=timeout)
                if proc.returncode:
                    err.seek(max(0, err.seek(0, os.SEEK_END) - 65536))
                    tail = err.read().decode("utf-8", "replace")
                    lines = [line for line in tail.strip().splitlines() if line.strip()]
                    result["error"] = lines[-1] if lines else f"exit code {proc.returncode}"
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
                result["error"] = f"timed out after {timeout:g} s"
    # read back now, while the notebook still runs: unpickling imports pandas, scikit-learn...
    # here, off the critical path, instead of after both runs
    result["captured"] = read_captures(capture_dir)
    result["seconds"] = time.perf_counter() - start


def _truncated(source: Path, last: int, folder: Path) -> Path:
    """A copy of the notebook's folder in which the notebook stops after cell `last`."""
    import json

    if source.suffix != ".ipynb":
        return source
    data = json.loads(source.read_text("utf-8"))
    if not isinstance(data.get("cells"), list):
        return source  # nbformat 3: run it whole
    data["cells"] = data["cells"][: last + 1]
    copy = _copy_folder(source, folder / "work")
    target = copy / source.name
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def _draws_unseeded(notebook: Notebook) -> bool:
    from nb2prod.lint.check import analyze

    try:
        return any(f.code == "NB109" for f in analyze(notebook, frozenset({"NB109"})).findings)
    except Exception:
        return False


def _rerun_plain(source: Path, last: int, kernel: str | None, cell_timeout: float) -> NotebookRun:
    """The notebook as it is (no seeds, no capture), up to cell `last`."""
    from nb2prod.verify.execute import run_notebook

    with tempfile.TemporaryDirectory(prefix="nb2prod-rerun-") as rerun_dir:
        return run_notebook(
            _truncated(source, last, Path(rerun_dir)), kernel=kernel, cell_timeout=cell_timeout
        )


class _Background:
    """A call on its own thread; `result()` waits and returns it, or re-raises what it raised."""

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


def _finding(
    code: str,
    severity: Severity,
    notebook: Notebook,
    cell: int,
    message: str,
    names: tuple[str, ...] = (),
) -> Finding:
    cell_id = notebook.cells[cell].id if 0 <= cell < len(notebook.cells) else ""
    return Finding(code, severity, cell, cell_id, 1, 1, names, message)


def _stored_error(outputs: object) -> bool:
    return any(isinstance(o, dict) and o.get("output_type") == "error" for o in outputs or ())  # type: ignore[union-attr]


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
) -> Verification:
    """Run notebook and package, compare; the verdict is "equivalent" only with evidence."""
    from nb2prod.verify.compare import compare
    from nb2prod.verify.execute import cap_outputs, run_notebook
    from nb2prod.verify.normalize import NORMALIZERS, compare_outputs

    wall = time.perf_counter()
    notebook = load(notebook_path)
    source = Path(notebook_path).resolve()
    # The unseeded second run tells nondeterministic cells from hidden state. When the notebook
    # draws unseeded random numbers (NB109), stored outputs will likely differ: it starts now,
    # beside the first run, on the second core. Otherwise it runs only if some cell differs.
    stored = [
        i for i, c in enumerate(notebook.cells) if c.is_code and (c.outputs or c.execution_count)
    ]
    rerun = (
        _Background(_rerun_plain, source, max(stored), kernel, cell_timeout)
        if second_run and stored and (os.cpu_count() or 1) > 1 and _draws_unseeded(notebook)
        else None
    )
    package_result: dict[str, object] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="nb2prod-capture-") as tmp:
            nb_dir, pkg_dir = Path(tmp) / "notebook", Path(tmp) / "package"
            nb_dir.mkdir()
            pkg_dir.mkdir()
            package_timeout = cell_timeout * 4 if cell_timeout else None
            worker = threading.Thread(
                target=_run_package,
                daemon=True,
                args=(plan, package_dir, source, pkg_dir, package_timeout, package_result),
            )
            if package_dir is not None:
                worker.start()  # the package runs while the notebook runs
                package_result["thread"] = worker
            planned, inline = notebook_injections(plan, notebook)
            injections = [(i.before, i.source) for i in planned]
            run_source = source
            if inline:
                run_source = with_inline_captures(
                    source, inline, _copy_folder(source, Path(tmp) / "inline")
                )
            fresh = run_notebook(
                run_source,
                kernel=kernel,
                cell_timeout=cell_timeout,
                inject=injections,
                env={"NB2PROD_CAPTURE_DIR": str(nb_dir), "PYTHONHASHSEED": "0"},
                progress=progress,
            )
            if package_dir is not None:
                worker.join()
            captured = package_result.get("captured")
            expected = read_captures(nb_dir)
            actual = captured if isinstance(captured, Captured) else read_captures(pkg_dir)
            package_error = package_result.get("error")
            # when the notebook's own fresh run fails too, a package that fails is not evidence of a
            # conversion error (a NameError at module level is an UnboundLocalError in a function)
            same_failure = bool(fresh.failed and package_error)
            functions = _compare_functions(
                plan, expected, actual, package_error, compare, same_failure
            )
            if any(f.verdict == "differs" for f in functions) and fresh.failed is None:
                # a second fresh run of the notebook tells nondeterminism (e.g. an unseeded
                # default_rng()) from a conversion error: values that differ between two runs of the
                # notebook itself are unverified, never passed and never blamed on the package
                again_dir = Path(tmp) / "notebook-again"
                again_dir.mkdir()
                run_notebook(
                    run_source,
                    kernel=kernel,
                    cell_timeout=cell_timeout,
                    inject=injections,
                    env={"NB2PROD_CAPTURE_DIR": str(again_dir), "PYTHONHASHSEED": "0"},
                )
                functions = _mark_nondeterministic(
                    functions, expected, read_captures(again_dir), compare
                )
            golden: dict[str, str] = {}
            equivalent = {f.function for f in functions if f.verdict == "equivalent"}
            if golden_tests and fresh.failed is None and equivalent and package_dir is not None:
                from nb2prod.verify.fixtures import write_golden_tests

                # values verify did not compare (plots, clock readings) are not compared there either
                not_compared = {
                    f.function: [v.name for v in f.values if v.verdict == "display"]
                    for f in functions
                }

                with tempfile.TemporaryDirectory(prefix="nb2prod-fixtures-") as work:
                    golden = write_golden_tests(
                        plan,
                        nb_dir,
                        package_dir,
                        _copy_folder(source, Path(work) / "w"),
                        only=equivalent,
                        not_compared=not_compared,
                    )

        findings: list[Finding] = []
        cells: list[CellCheck] = []
        differing: list[int] = []
        for run in fresh.cells:
            cell = notebook.cells[run.index]
            if not cell.is_code:
                continue
            if run.status == "not-run":
                cells.append(CellCheck(run.index, cell.id, "not-run"))
                continue
            if run.status in ("error", "timeout"):
                if run.status == "timeout":
                    findings.append(
                        _finding(
                            "NB304",
                            Severity.ERROR,
                            notebook,
                            run.index,
                            f"cell timed out after {cell_timeout:g} s in the fresh run",
                        )
                    )
                    cells.append(CellCheck(run.index, cell.id, "timeout", (run.error or "",)))
                    continue
                if cell.execution_count is None and not cell.outputs:
                    cells.append(CellCheck(run.index, cell.id, "fails-fresh", (run.error or "",)))
                    findings.append(
                        _finding(
                            "NB302",
                            Severity.ERROR,
                            notebook,
                            run.index,
                            f"fresh run fails at this cell ({run.error}); the stored notebook "
                            "never ran it",
                        )
                    )
                    continue
                if _stored_error(cell.outputs):
                    cells.append(CellCheck(run.index, cell.id, "error-both", (run.error or "",)))
                else:
                    cells.append(CellCheck(run.index, cell.id, "fails-fresh", (run.error or "",)))
                    if (run.error or "").startswith(("ModuleNotFoundError", "ImportError")):
                        why = "the environment lacks a package the notebook had (see nb2prod pin), not hidden state"
                    else:
                        why = "the stored notebook shows it ran: hidden state"
                    findings.append(
                        _finding(
                            "NB302",
                            Severity.ERROR,
                            notebook,
                            run.index,
                            f"fresh run fails at this cell ({run.error}); {why}",
                        )
                    )
                continue
            if cell.execution_count is None and not cell.outputs:
                cells.append(CellCheck(run.index, cell.id, "no-stored-output"))
                continue
            outcome = compare_outputs(
                cap_outputs(cell.outputs), run.outputs
            )  # the fresh run's output limits
            if outcome.same:
                cells.append(CellCheck(run.index, cell.id, "same"))
            else:
                differing.append(run.index)
                cells.append(CellCheck(run.index, cell.id, "differs", tuple(outcome.differences)))
    except BaseException:
        # nothing verify started outlives it, even on an error or Ctrl-C
        process = package_result.get("process")
        if isinstance(process, subprocess.Popen) and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
        thread = package_result.get("thread")
        if isinstance(thread, threading.Thread):
            thread.join(timeout=30)  # it removes its scratch folder as it ends
        if rerun is not None:
            rerun.wait()
        raise
    again = rerun.outcome() if rerun is not None else None  # also waits for it when nothing differs
    if differing and second_run and fresh.failed is None:
        # the plain notebook, unseeded and without capture, up to the last differing cell: a cell
        # whose output changes between fresh runs is nondeterministic, not hidden state
        if again is None:
            again = _rerun_plain(source, max(differing), kernel, cell_timeout)
        rerun = {c.index: c for c in again.cells}
        first = {c.index: c for c in fresh.cells}
        for position, check in enumerate(cells):
            if check.status != "differs":
                continue
            other = rerun.get(check.cell)
            if (
                other is not None
                and not compare_outputs(first[check.cell].outputs, other.outputs).same
            ):
                cells[position] = CellCheck(
                    check.cell, check.cell_id, "nondeterministic", check.differences
                )
    for check in cells:
        if check.status == "differs":
            findings.append(
                _finding(
                    "NB301",
                    Severity.WARNING,
                    notebook,
                    check.cell,
                    "stored output differs from a fresh run: " + "; ".join(check.differences[:2]),
                )
            )
        elif check.status == "nondeterministic":
            findings.append(
                _finding(
                    "NB303",
                    Severity.WARNING,
                    notebook,
                    check.cell,
                    "output differs between two fresh runs: nondeterministic, so not "
                    "counted as hidden state",
                )
            )

    for verdict in functions:
        for value in verdict.values:
            cell = verdict.cells[-1] if verdict.cells else 0
            if value.verdict == "differs":
                findings.append(
                    _finding(
                        "NB401",
                        Severity.ERROR,
                        notebook,
                        cell,
                        f"{verdict.function}() returns '{value.name}' different from the "
                        f"notebook: {_one_line(value.detail)}",
                        (value.name,),
                    )
                )
            elif (
                value.verdict == "unverified"
            ):  # display values are listed in the report, not findings
                findings.append(
                    _finding(
                        "NB402",
                        Severity.WARNING,
                        notebook,
                        cell,
                        f"{verdict.function}(): '{value.name}' unverified: "
                        f"{_one_line(value.detail)}",
                        (value.name,),
                    )
                )
    # functions that only draw or print (verdict "not-compared") make no claim either way; the
    # verdict rests on the functions whose values were compared, and needs at least one of them
    verdicts = {f.verdict for f in functions} - {"not-compared"}
    overall = (
        "differs"
        if "differs" in verdicts
        else (
            "unverified"
            if "unverified" in verdicts or not verdicts or fresh.failed is not None
            else "equivalent"
        )
    )
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
        package_seconds=float(package_result.get("seconds", 0.0)),  # type: ignore[arg-type]
        wall_seconds=time.perf_counter() - wall,
        package_error=package_result.get("error"),  # type: ignore[arg-type]
        golden_tests=golden,
        normalizers=tuple(n.name for n in NORMALIZERS),
    )


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())[:300]


CLOCK_READING = (
    "a clock reading: computed from the time of day or a timer (the code says so), it is a "
    "measurement of the run, not a result; not compared"
)
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


def _clock_names(function: Function) -> frozenset[str]:
    """Names the function assigns from a clock reading, directly or through other such names."""
    tainted: set[str] = set()
    assignments = [
        node
        for s in function.statements
        for node in ast.walk(s.tree)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None
    ]
    changed = True
    while changed:
        changed = False
        for node in assignments:
            reads_clock = any(
                (isinstance(sub, ast.Call) and _called_name(sub.func) in _CLOCKS)
                or (isinstance(sub, ast.Name) and sub.id in tainted)
                for sub in ast.walk(node.value)
            )  # type: ignore[arg-type]
            if not reads_clock:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for name in (n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)):
                if name not in tainted:
                    tainted.add(name)
                    changed = True
    return frozenset(tainted)


def _called_name(func: ast.expr) -> str:
    return (
        func.attr
        if isinstance(func, ast.Attribute)
        else (func.id if isinstance(func, ast.Name) else "")
    )


def _is_duration(value: object) -> bool:
    import datetime
    import numbers

    return isinstance(
        value, (numbers.Real, datetime.timedelta, datetime.datetime)
    ) and not isinstance(value, bool)


def _mark_nondeterministic(
    functions: list[FunctionVerdict],
    first: Captured,
    second: Captured,
    compare: Callable[..., object],
) -> list[FunctionVerdict]:
    marked = []
    for f in functions:
        values = []
        for check in f.values:
            if check.verdict == "differs":
                a = first.values.get(f.function, {}).get(check.name)
                b = second.values.get(f.function, {}).get(check.name)
                outcome = compare(a, b) if b is not None else None
                if outcome is not None and getattr(outcome, "verdict", "") != "equal":
                    check = ValueCheck(
                        f.function,
                        check.name,
                        "unverified",
                        "nondeterministic: it differs between two fresh runs of the notebook "
                        "itself (NB109 lists unseeded randomness)",
                    )
            values.append(check)
        marked.append(
            FunctionVerdict(f.function, f.module, f.cells, _function_verdict(values), tuple(values))
        )
    return marked


def _function_verdict(checks: list[ValueCheck]) -> str:
    states = {c.verdict for c in checks} - {"display"}
    if not states:
        return "not-compared"  # plots only: listed in the report, no claim either way
    return (
        "differs"
        if "differs" in states
        else ("unverified" if "unverified" in states else "equivalent")
    )


def _compare_functions(
    plan: Plan,
    expected: Captured,
    actual: Captured,
    package_error: object,
    compare: Callable[..., object],
    same_failure: bool = False,
) -> list[FunctionVerdict]:
    from nb2prod.verify.compare import is_display_only

    results = []
    for function in plan.functions:
        checks = []
        clocks = _clock_names(function)
        for name in function.returns:
            want = expected.values.get(function.name, {})
            got = actual.values.get(function.name, {})
            if name not in want:
                checks.append(
                    ValueCheck(
                        function.name,
                        name,
                        "unverified",
                        "the notebook's fresh run never reached this point",
                    )
                )
                continue
            if name not in got:
                if same_failure:
                    # the notebook's fresh run fails the same way: the package is not to blame
                    checks.append(
                        ValueCheck(
                            function.name,
                            name,
                            "unverified",
                            f"the notebook's fresh run fails too; the package failed with "
                            f"{package_error}",
                        )
                    )
                    continue
                reason = (
                    f"the package failed first ({package_error})"
                    if package_error
                    else "not produced by the package"
                )
                checks.append(ValueCheck(function.name, name, "differs", reason))
                continue
            missing = marker(want[name]) or marker(got[name])
            if missing:
                checks.append(ValueCheck(function.name, name, "unverified", missing))
                continue
            if is_display_only(want[name]):
                checks.append(
                    ValueCheck(
                        function.name,
                        name,
                        "display",
                        f"{type(want[name]).__name__}: a plot or display object, not compared",
                    )
                )
                continue
            outcome = compare(want[name], got[name])
            verdict = {"equal": "equivalent", "differs": "differs"}.get(
                outcome.verdict, "unverified"
            )  # type: ignore[attr-defined]
            if (
                verdict == "differs"
                and name in clocks
                and _is_duration(want[name])
                and _is_duration(got[name])
            ):
                checks.append(ValueCheck(function.name, name, "display", CLOCK_READING))
                continue
            checks.append(ValueCheck(function.name, name, verdict, outcome.detail))  # type: ignore[attr-defined]
        if not function.returns:
            checks.append(
                ValueCheck(
                    function.name,
                    "(no return value)",
                    "display",
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
