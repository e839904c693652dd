"""The library's entry points: `check`, `pin`, `convert`, `verify` and `convert_and_verify`.

Every call returns a frozen result value and never prints. A notebook that cannot be used, and
nb2prod's own bugs, come back as `Failed` values rather than exceptions (only Ctrl-C escapes), so
the CLI, the pre-commit hook and the JupyterLab server extension consume the same values and
only they print, exit or talk to the user. Long calls report through the `progress` callback the
caller passes in its options.

The converter and the kernel runner are imported when first used: `nb2prod check`, run by
pre-commit on every commit, does not pay for them.
"""

from __future__ import annotations

import contextlib
import json
import tomllib
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING

from nb2prod.core import config
from nb2prod.core.errors import InputError, InternalError, UnparsableCell, UnsupportedCode, location
from nb2prod.core.vocabulary import Verdict
from nb2prod.lint.check import Checked, CheckRequest, CheckResult, Failed, check_paths
from nb2prod.lint.formats import RENDERERS, to_json_document
from nb2prod.notebook.load import iter_notebook_paths

if TYPE_CHECKING:  # the values the stages return, named here for the CLI and the server
    from nb2prod.convert.annotations import Annotations as Annotations
    from nb2prod.convert.build import Converted as Converted
    from nb2prod.convert.plan import Plan as Plan
    from nb2prod.convert.production import Production as Production
    from nb2prod.convert.render import Package as Package
    from nb2prod.export.airflow import AirflowExport as AirflowExport
    from nb2prod.pin import PinResult as PinResult
    from nb2prod.pin.venv_check import VenvCheck as VenvCheck
    from nb2prod.verify.confirm import Confirmation as Confirmation
    from nb2prod.verify.verification import Verification as Verification

__all__ = [
    "INTERNAL",
    "REPORT",
    "CheckRequest",
    "CheckResult",
    "CheckRun",
    "Checked",
    "ConfirmOptions",
    "ConvertOptions",
    "ConvertedAndVerified",
    "Failed",
    "NotConverted",
    "OnProgress",
    "PinOptions",
    "Progress",
    "Stage",
    "Verified",
    "VerifyOptions",
    "VerifyResult",
    "check",
    "check_document",
    "check_pins",
    "convert",
    "convert_and_verify",
    "default_package_dir",
    "describe",
    "describe_bug",
    "export_airflow",
    "format_check",
    "format_pins",
    "generated_by_nb2prod",
    "headline",
    "pin",
    "production",
    "session",
    "verdict_words",
    "verify",
    "verify_many",
]

INTERNAL = "internal"  # `Failed.kind` of nb2prod's own bugs
REPORT = "nb2prod-report.md"  # in the package folder; .json and .html beside it


# --- progress -------------------------------------------------------------------------------


class Stage(StrEnum):
    CONVERTING = "converting"
    WRITTEN = "written"  # the package is on disk: `Progress.converted` holds it
    RUNNING = "running the notebook and the package"
    CONFIRMING = "running the notebook to confirm findings"  # check --confirm, first run
    CONFIRMING_AGAIN = "running the notebook a second time"  # NB105/NB108/NB109 need it


@dataclass(frozen=True, slots=True)
class Progress:
    """A step of a long call; while running, `done` of `total` cells of the fresh run have run."""

    stage: Stage
    done: int = 0
    total: int = 0  # 0 while nothing countable runs
    converted: Converted | None = None
    notebook: str = ""  # the notebook being run, when a call runs several (check --confirm)


OnProgress = Callable[[Progress], None]


# --- options ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PinOptions:
    python: str | None = None  # interpreter or venv to query (default: the notebook's kernel)


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    kernel: str | None = None  # default: the notebook's kernelspec
    timeout: float = 600  # seconds per cell
    second_run: bool = True  # re-run to tell nondeterministic cells from hidden state
    progress: OnProgress | None = field(default=None, compare=False)
    confirm: bool = True  # decide check's findings with the fresh run; drop the refuted ones

    def with_progress(self, progress: OnProgress | None) -> VerifyOptions:
        return replace(self, progress=progress)


@dataclass(frozen=True, slots=True)
class ConfirmOptions:
    """`check --confirm`: run each notebook and keep the findings the run does not refute."""

    kernel: str | None = None  # default: the notebook's kernelspec
    timeout: float = 600  # seconds per cell; 0: no limit
    show_refuted: bool = False  # keep refuted findings (confirmed False) in the results
    progress: OnProgress | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ConvertOptions:
    """Everything `convert` and `convert_and_verify` take besides the notebook and the folder."""

    name: str | None = None  # package name (default: from the notebook's file name)
    force: bool = False  # replace an output folder nb2prod did not create
    python: str | None = None  # interpreter whose packages pin the dependencies (and re-pin them)
    pin: bool = True  # False: unpinned distribution names, never re-pinned
    roles: Mapping[str, str] | None = None  # cell id or index -> role; None: [tool.nb2prod] roles
    kernel: str | None = None
    timeout: float = 600
    second_run: bool = True
    progress: OnProgress | None = field(default=None, compare=False)
    confirm: bool = True  # verify decides check's findings with its fresh run

    @property
    def verify_options(self) -> VerifyOptions:
        return VerifyOptions(
            self.kernel, self.timeout, self.second_run, self.progress, confirm=self.confirm
        )

    def with_progress(self, progress: OnProgress | None) -> ConvertOptions:
        return replace(self, progress=progress)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckRun:
    """One result per notebook found, in order, and the `[tool.nb2prod]` warnings, each once.

    With `confirm`, `confirmations` holds what running each checked notebook showed (every
    finding with `confirmed` set, refuted ones included, and the evidence for each).
    """

    results: tuple[CheckResult, ...]
    warnings: tuple[str, ...] = ()
    confirmations: tuple[Confirmation, ...] = ()


@dataclass(frozen=True, slots=True)
class Verified:
    notebook: str
    package_dir: Path | None  # None: a scratch package, removed once verified
    plan: Plan  # the plan the package was written from
    verification: Verification
    dependencies: tuple[str, ...] | None = None  # as pinned in pyproject.toml; None: unpinned
    # the types the package's signatures and `Results` were annotated with after verification
    # (None: not annotated: a scratch package, or modules edited since nb2prod wrote them)
    annotations: Annotations | None = None

    @property
    def report(self) -> Path | None:
        return self.package_dir / REPORT if self.package_dir else None

    @property
    def run_page(self) -> Path | None:
        """The page of the notebook's fresh run, when the reports include one."""
        from nb2prod.verify.run_page import RUN_PAGE

        page = self.package_dir / RUN_PAGE if self.package_dir else None
        return page if page is not None and page.is_file() else None


@dataclass(frozen=True, slots=True)
class NotConverted:
    """The notebook cannot be converted; its stored outputs were still checked against a fresh run."""

    notebook: str
    refusal: Failed
    verification: Verification


VerifyResult = Verified | NotConverted | Failed


@dataclass(frozen=True, slots=True)
class ConvertedAndVerified:
    converted: Converted  # the package is written whatever the verification found
    verified: Verified | Failed


# --- check ------------------------------------------------------------------------------------


def check(
    paths: Sequence[str],
    request: CheckRequest | None = None,
    *,
    jobs: int | None = None,
    confirm: ConfirmOptions | None = None,
) -> CheckRun:
    """Check notebooks (files, or folders searched recursively) for hidden state.

    `request` holds the command line's --select/--ignore, layered on each file's own
    `[tool.nb2prod]`; `jobs` worker processes (default: one per core, for many notebooks).
    With `confirm`, each notebook with findings is then run fresh in a scratch copy of its
    folder (docs/confirm.md), one notebook at a time, and every finding gets `confirmed`;
    refuted findings are left out unless `confirm.show_refuted`.
    """
    _reread_config()
    request = request or CheckRequest()
    found = list(iter_notebook_paths(list(paths)))
    warnings: dict[str, None] = {}
    for path in found:
        with contextlib.suppress(InputError):  # a broken pyproject.toml fails that file's check
            warnings.update(dict.fromkeys(config.config_for(path).warnings))
    results = tuple(check_paths(found, request, jobs=jobs))
    if confirm is None:
        return CheckRun(results, tuple(warnings))
    confirmed = [_confirm(result, confirm) for result in results]
    return CheckRun(
        tuple(result for result, _ in confirmed),
        tuple(warnings),
        tuple(c for _, c in confirmed if c is not None),
    )


def _confirm(
    result: CheckResult, options: ConfirmOptions
) -> tuple[CheckResult, Confirmation | None]:
    """Run one checked notebook to confirm its findings; a notebook that cannot run fails."""
    if isinstance(result, Failed):
        return result, None
    from nb2prod.verify.confirm import confirm

    report = options.progress
    stages = {1: Stage.CONFIRMING, 2: Stage.CONFIRMING_AGAIN}

    def step(run: int, done: int, total: int) -> None:
        if report is not None:
            report(Progress(stages[run], done, total, notebook=result.path))

    try:
        confirmation = confirm(
            result.path,
            result.findings,
            kernel=options.kernel,
            cell_timeout=options.timeout or None,
            progress=step,
        )
    except Exception as exc:
        return _failure(result.path, exc), None
    kept = tuple(
        f for f in confirmation.findings if options.show_refuted or f.confirmed is not False
    )
    return Checked(result.path, kept), confirmation


def format_check(results: Sequence[CheckResult], output_format: str) -> str:
    """Check results as `text`, `json`, `sarif` or `github` annotations."""
    return RENDERERS[output_format](results)


def check_document(results: Sequence[CheckResult]) -> dict[str, object]:
    """The versioned JSON document `nb2prod check --format json` prints."""
    return to_json_document(results)


# --- pin --------------------------------------------------------------------------------------


def pin(notebook: str, options: PinOptions = PinOptions()) -> PinResult | Failed:
    """Pin the distributions a notebook needs, each pin naming its evidence."""
    from nb2prod import pin as pinning

    _reread_config()
    try:
        return pinning.pin_file(notebook, options.python)
    except InputError as exc:
        return _input_failure(exc)
    except Exception as exc:
        return Failed(
            notebook,
            INTERNAL,
            f"internal error while pinning {notebook}: {type(exc).__name__}: {exc} "
            "(please report this)",
        )


def check_pins(result: PinResult) -> VenvCheck | Failed:
    """Install the pins in a clean venv and import every module the notebook imports (slow)."""
    from nb2prod.pin.venv_check import check_in_clean_venv

    try:
        return check_in_clean_venv(result)
    except Exception as exc:
        return _failure(result.path, exc)


def format_pins(result: PinResult, output_format: str) -> str:
    """Pins as `requirements` lines, a `pyproject` fragment, or `json` with all evidence."""
    from nb2prod.pin.render import RENDERERS as PIN_RENDERERS

    return PIN_RENDERERS[output_format](result)


# --- convert and verify -----------------------------------------------------------------------


def convert(
    notebook: str, out: str | Path | None = None, options: ConvertOptions = ConvertOptions()
) -> Converted | Failed:
    """Write the notebook's package to `out` (default: `<notebook folder>/<name>`); no kernel runs.

    Load -> plan (--name, roles) -> pin (--python, unless --no-pin) -> render -> static check ->
    atomic write: nothing is written unless the rendered package passed the static check.
    """
    from nb2prod.convert.build import convert as write_converted

    _reread_config()
    _tell(options.progress, Progress(Stage.CONVERTING))
    try:
        roles = options.roles if options.roles is not None else config.config_for(notebook).roles
        converted = write_converted(
            notebook,
            str(out) if out is not None else None,
            package=options.name,
            force=options.force,
            role_overrides=roles,
            pin=options.pin,
            python=options.python,
        )
    except Exception as exc:
        return _failure(notebook, exc)
    _tell(options.progress, Progress(Stage.WRITTEN, converted=converted))
    return converted


def convert_and_verify(
    notebook: str, out: str | Path | None = None, options: ConvertOptions = ConvertOptions()
) -> ConvertedAndVerified | Failed:
    """Convert, then prove the package does what the notebook did, with the plan it was written from.

    The notebook is planned once: its package name, roles, pinning interpreter and --no-pin
    hold for the verification, the reports and the re-pinning alike.
    """
    # load -> plan (--name, roles) -> pin (--python) -> render -> static check -> write
    converted = convert(notebook, out, options)
    if isinstance(converted, Failed):
        return converted
    plan, package_dir = converted.plan, converted.out_dir  # the one plan, from here on
    try:
        # the notebook's fresh run beside the package's, values compared; golden tests written
        verification = _run(notebook, plan, package_dir, options.verify_options, golden_tests=True)
        _write_reports(verification, package_dir)  # nb2prod-report.{md,json,html}, run page
        # pinned by convert from what the written code imports (never the kernel's own modules)
        dependencies = _pinned_dependencies(package_dir) if options.pin else None
        # annotated with the types the runs captured: only the modules' annotations change
        annotations, files = _annotate(plan, package_dir, verification)
        verified: Verified | Failed = Verified(
            notebook, package_dir, plan, verification, dependencies, annotations
        )
        if files:
            package = replace(converted.package, files={**converted.package.files, **files})
            converted = replace(converted, package=package)
    except Exception as exc:
        verified = _failure(notebook, exc)
    return ConvertedAndVerified(converted, verified)


def verify(
    notebook: str, package_dir: str | Path | None = None, options: VerifyOptions = VerifyOptions()
) -> VerifyResult:
    """Run the notebook fresh and its generated package side by side, and compare them.

    With `package_dir`, the package `convert` wrote is verified against the plan it was written
    from: the import name recorded in its nb2prod-report.json (what `--name` chose; pyproject.toml
    holds only the distribution name, and no roles), falling back to the one package under
    `src/`; and the `[tool.nb2prod]` roles beside the notebook, read as convert read them. Its
    reports are updated; its dependencies stay as convert pinned them from the code's imports.

    Without it, the notebook is converted (default name, `[tool.nb2prod]` roles, unpinned) into a
    scratch folder that is removed afterwards. A notebook that cannot be converted is still run,
    to report its own hidden state (`NotConverted`).
    """
    _reread_config()
    try:
        if package_dir is None:
            return _verify_scratch(notebook, options)
        return _verify_package(notebook, Path(package_dir).resolve(), options)
    except Exception as exc:
        return _failure(notebook, exc)


def verify_many(
    notebooks: Sequence[str], options: VerifyOptions = VerifyOptions(), *, jobs: int = 1
) -> tuple[VerifyResult, ...]:
    """Verify notebooks each in a scratch package, `jobs` at a time; one result each, in order."""
    if jobs > 1 and len(notebooks) > 1:
        quiet = options.with_progress(None)  # a callback does not cross to worker processes
        from concurrent.futures import ProcessPoolExecutor  # not on check's pre-commit path

        with ProcessPoolExecutor(jobs) as pool:
            return tuple(pool.map(verify, notebooks, repeat(None), repeat(quiet)))
    return tuple(verify(notebook, None, options) for notebook in notebooks)


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Contain a command: SIGTERM unwinds it, and no kernel, package run nor pinning query it
    started outlives it."""
    from nb2prod.verify.containment import contained_session

    with contained_session():
        yield


def _verify_package(notebook: str, package_dir: Path, options: VerifyOptions) -> VerifyResult:
    from nb2prod.convert.plan import make_plan
    from nb2prod.notebook.load import load

    name = _recorded_package(package_dir)
    roles = config.config_for(notebook).roles
    try:
        plan = make_plan(load(notebook), package=name, role_overrides=roles)
    except (UnparsableCell, UnsupportedCode) as exc:
        return _notebook_only(notebook, exc, options)
    verification = _run(notebook, plan, package_dir, options, golden_tests=True)
    _write_reports(verification, package_dir)
    dependencies = _pinned_dependencies(package_dir)
    annotations, _ = _annotate(plan, package_dir, verification)
    return Verified(notebook, package_dir, plan, verification, dependencies, annotations)


def _annotate(
    plan: Plan, package_dir: Path, verification: Verification
) -> tuple[Annotations | None, dict[str, str]]:
    """Rewrite the package's modules with the types verification captured, instead of `Any`.

    Re-rendered from the plan with the annotations, checked as convert checks a package, and
    each module replaced atomically, only where the file on disk is nb2prod's rendering of that
    plan (annotations aside): a module a user has edited is left alone. Types are imported under
    `if TYPE_CHECKING:`, so importing and running the package does exactly what it did.
    Returns the annotations (None when nothing was rewritten) and the files rewritten.
    """
    from nb2prod.convert.annotations import annotations_for, same_but_annotations
    from nb2prod.convert.render import MARKER, render
    from nb2prod.convert.static_check import check_package
    from nb2prod.convert.write import write_file_atomically

    if not verification.types or not (package_dir / MARKER).is_file():
        return None, {}
    annotations = annotations_for(plan, verification.types, verification.imported_modules)

    def annotated(p: Plan) -> Package:
        return render(p, out_dir=package_dir, annotations=annotations)

    package = annotated(plan)
    check_package(plan, package, annotated)  # every statement kept once, the same bytes twice
    paths = [f"src/{plan.package}/{m}.py" for m in (*plan.modules, "pipeline")]
    current: dict[str, str] = {}
    for path in paths:
        try:
            current[path] = (package_dir / path).read_text("utf-8")
        except OSError:
            return None, {}
        if not same_but_annotations(current[path], package.files[path]):
            return None, {}  # edited since nb2prod wrote it (or another plan): not ours to change
    changed = {p: package.files[p] for p in paths if current[p] != package.files[p]}
    for path, text in changed.items():
        write_file_atomically(package_dir / path, text)
    return annotations, changed


def _verify_scratch(notebook: str, options: VerifyOptions) -> VerifyResult:
    from nb2prod.convert.build import build
    from nb2prod.convert.write import write_package

    try:
        plan, package = build(notebook, role_overrides=config.config_for(notebook).roles, pin=False)
    except (UnparsableCell, UnsupportedCode) as exc:
        return _notebook_only(notebook, exc, options)
    import tempfile  # here: the check path never needs it

    with tempfile.TemporaryDirectory(prefix="nb2prod-verify-") as tmp:
        target = write_package(package, Path(tmp) / plan.package, notebook=Path(notebook))
        verification = _run(notebook, plan, target, options)
    return Verified(notebook, None, plan, verification)


def _notebook_only(notebook: str, refusal: InputError, options: VerifyOptions) -> NotConverted:
    """Run a notebook that cannot be converted, to compare its stored outputs with a fresh run."""
    from nb2prod.convert.plan import Plan, package_name

    empty = Plan(notebook, package_name(notebook), (), (), (), (), (), (), ())
    verification = _run(notebook, empty, None, options)
    return NotConverted(notebook, _input_failure(refusal), verification)


def _run(
    notebook: str,
    plan: Plan,
    package_dir: Path | None,
    options: VerifyOptions,
    *,
    golden_tests: bool = False,
) -> Verification:
    from nb2prod.verify.verification import verify as run_and_compare

    report = options.progress
    _tell(report, Progress(Stage.RUNNING))
    return run_and_compare(
        notebook,
        plan,
        package_dir,
        kernel=options.kernel,
        cell_timeout=options.timeout,
        progress=None if report is None else lambda done, total: report(_running(done, total)),
        second_run=options.second_run,
        golden_tests=golden_tests,
        confirm_findings=options.confirm,
    )


def _running(done: int, total: int) -> Progress:
    return Progress(Stage.RUNNING, done, total)


def _write_reports(verification: Verification, package_dir: Path) -> None:
    from nb2prod.verify.report import write_reports

    write_reports(verification, package_dir)


def _pinned_dependencies(package_dir: Path) -> tuple[str, ...] | None:
    """The dependencies pyproject.toml pins (None: written with --no-pin, or unreadable)."""
    return _written_dependencies(package_dir) if _written_pinned(package_dir) else None


def _written_dependencies(package_dir: Path) -> tuple[str, ...] | None:
    try:
        project = tomllib.loads((package_dir / "pyproject.toml").read_text("utf-8"))["project"]
        return tuple(str(d) for d in project.get("dependencies", []))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _recorded_package(package_dir: Path) -> str | None:
    """The import name a package was written with (None: the notebook's default name)."""
    with contextlib.suppress(OSError, ValueError):
        data = json.loads((package_dir / "nb2prod-report.json").read_text("utf-8"))
        name = data.get("package") if isinstance(data, dict) else None
        if isinstance(name, str) and (package_dir / "src" / name).is_dir():
            return name
    with contextlib.suppress(OSError):
        found = [p.name for p in (package_dir / "src").iterdir() if (p / "__init__.py").is_file()]
        if len(found) == 1:
            return found[0]
    return None


def _written_pinned(package_dir: Path) -> bool:
    """False when the package was written with --no-pin (dependencies listed, none pinned)."""
    try:
        project = tomllib.loads((package_dir / "pyproject.toml").read_text("utf-8"))["project"]
        dependencies = [str(d) for d in project.get("dependencies", [])]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return True
    return not dependencies or any("==" in d for d in dependencies)


def default_package_dir(notebook: str, name: str | None = None) -> Path:
    """Where `convert` writes without `out`: `<notebook folder>/<package name>`."""
    from nb2prod.convert.plan import package_name

    return Path(notebook).parent / package_name(notebook, name)


def generated_by_nb2prod(folder: Path) -> bool:
    """Whether `folder` holds a package nb2prod wrote (the only kind convert replaces unforced)."""
    from nb2prod.convert.render import MARKER

    return (folder / MARKER).is_file()


def verdict_words(verdict: str) -> str:
    """The sentence the reports and the CLI give for a verdict."""
    from nb2prod.verify.report import VERDICT_WORDS

    return VERDICT_WORDS[Verdict(verdict)]


def headline(verification: Verification) -> str:
    """The verdict sentence for one verification (it says when there was nothing to compare)."""
    from nb2prod.verify.report import headline as report_headline

    return report_headline(verification)


def production(package_dir: Path) -> Production | None:
    """What `convert` made of train and predict for the package in `package_dir`, and why not,
    as its nb2prod-report.json records it (None: the notebook fits nothing, or no report)."""
    from nb2prod.convert.production import Production

    def names(value: object) -> tuple[str, ...]:
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    try:
        report = json.loads((package_dir / "nb2prod-report.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    made = report.get("production") if isinstance(report, dict) else None
    if not isinstance(made, dict):
        return None
    return Production(
        train=made.get("train") is True,
        predict=made.get("predict") is True,
        fitted=names(made.get("fitted")),
        metrics=names(made.get("metrics")),
        inputs=names(made.get("inputs")),
        reasons=names(made.get("reasons")),
        notes=names(made.get("notes")),
    )


# --- export -----------------------------------------------------------------------------------


def export_airflow(
    package_dir: str | Path,
    out: str | Path | None = None,
    *,
    workdir: str | Path | None = None,
    force: bool = False,
) -> AirflowExport | Failed:
    """Write an Airflow DAG that trains the package `convert` wrote in `package_dir`."""
    from nb2prod.export.airflow import export_airflow as write_dag

    try:
        return write_dag(
            Path(package_dir),
            None if out is None else Path(out),
            workdir=None if workdir is None else Path(workdir),
            force=force,
        )
    except Exception as exc:
        return _failure(str(package_dir), exc)


# --- failures ---------------------------------------------------------------------------------


def describe(failed: Failed) -> str:
    """One line naming the file (and cell, and line) and what is wrong, as the CLI prints it."""
    if failed.kind == INTERNAL:
        return failed.message
    return f"{location(failed.path, failed.cell, failed.line)}: {failed.message}"


def describe_bug(exc: BaseException) -> str:
    """Keep the traceback of an nb2prod bug in a file; return the message that names it."""
    import tempfile

    with tempfile.NamedTemporaryFile(
        "w", prefix="nb2prod-crash-", suffix=".txt", delete=False
    ) as handle:
        traceback.print_exception(exc, file=handle)
    return (
        f"internal error: {type(exc).__name__}: {exc} (please report this at the nb2prod issue "
        f"tracker; traceback in {handle.name})"
    )


def _input_failure(exc: InputError) -> Failed:
    """`path` is the file the error is about: the notebook, or the output folder or
    pyproject.toml at fault."""
    return Failed(exc.path, exc.kind, exc.message, exc.cell, exc.cell_id, exc.line)


def _failure(notebook: str, exc: Exception) -> Failed:
    if isinstance(exc, InputError):
        return _input_failure(exc)
    if isinstance(exc, InternalError):
        return Failed(notebook, INTERNAL, str(exc))
    return Failed(notebook, INTERNAL, describe_bug(exc))


def _tell(progress: OnProgress | None, event: Progress) -> None:
    if progress is not None:
        progress(event)


def _reread_config() -> None:
    """Read pyproject.toml afresh: a long-lived caller (the JupyterLab server) sees edits."""
    config._config_for_dir.cache_clear()


# --- the plan and a preview, for the JupyterLab extension --------------------------------------
# Frozen, JSON-ready views of what `convert` would do: the lab shows them and never re-plans.


@dataclass(frozen=True, slots=True)
class StatementView:
    """Where one top-level statement goes, and why."""

    cell: int  # 0-based over all cells, markdown included (as findings count)
    cell_id: str
    position: int  # 0-based within the cell
    line: int  # 1-based first line in the cell
    end_line: int
    role: str  # a `nb2prod.core.vocabulary.Role` value
    kept: bool  # False: left out of the package (exploration, a dropped magic, ...)
    function: str | None  # the generated function (or moved definition) it went to
    module: str | None
    reason: str
    code: str  # its first line, for a tooltip


@dataclass(frozen=True, slots=True)
class FunctionView:
    name: str
    module: str
    role: str
    params: tuple[str, ...]
    returns: tuple[str, ...]
    config: tuple[str, ...]  # config fields it reads
    cells: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ConfigFieldView:
    name: str  # as in the notebook
    field: str  # the Config attribute and CLI option
    value: str  # Python literal source
    type: str
    cell: int


@dataclass(frozen=True, slots=True)
class PlanView:
    """The convert plan of one notebook as the lab shows it; `to_json()` is the wire format."""

    notebook: str
    package: str
    modules: tuple[str, ...]
    functions: tuple[FunctionView, ...]
    config: tuple[ConfigFieldView, ...]
    statements: tuple[StatementView, ...]  # in notebook order
    warnings: tuple[str, ...]

    @property
    def left_out(self) -> tuple[StatementView, ...]:
        return tuple(s for s in self.statements if not s.kept)

    def cells(self) -> dict[int, tuple[StatementView, ...]]:
        """Statements per cell index."""
        found: dict[int, list[StatementView]] = {}
        for statement in self.statements:
            found.setdefault(statement.cell, []).append(statement)
        return {cell: tuple(views) for cell, views in found.items()}

    def to_json(self) -> dict[str, object]:
        from dataclasses import asdict

        document = asdict(self)
        document["left_out"] = [asdict(s) for s in self.left_out]
        return document


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str  # '/'-separated, relative to the package folder
    status: str  # "added", "removed" or "changed"
    diff: str  # unified diff, on-disk version first


@dataclass(frozen=True, slots=True)
class Preview:
    """What `convert` would write to `out_dir`, compared with what is there now; nothing written."""

    plan: PlanView
    out_dir: Path
    exists: bool  # a package (or any folder) is already there
    changes: tuple[FileChange, ...]  # empty for a new folder: everything is new, see `files`
    files: tuple[str, ...]  # every file convert would write

    def to_json(self) -> dict[str, object]:
        return {
            "plan": self.plan.to_json(),
            "out_dir": str(self.out_dir),
            "exists": self.exists,
            "files": list(self.files),
            "changes": [{"path": c.path, "status": c.status, "diff": c.diff} for c in self.changes],
        }


# reports (rewritten by verify) and the marker: derived, so a preview lists but does not diff them
_NOT_DIFFED = frozenset(
    {
        REPORT,
        "nb2prod-report.json",
        "nb2prod-report.html",
        "nb2prod-run.html",
        ".nb2prod-generated",
    }
)


def _written_by_verify(relative: str, vendored: frozenset[str]) -> bool:
    """A file verify adds to the package's tests/ (convert + verify writes it again)."""
    from nb2prod.verify.fixtures import WRITTEN_TESTS

    if not relative.startswith("tests/") or relative.count("/") > 1:
        return relative.startswith("tests/fixtures/")
    name = relative.removeprefix("tests/")
    return name in WRITTEN_TESTS or name in vendored


def plan(notebook: str, options: ConvertOptions = ConvertOptions()) -> PlanView | Failed:
    """The plan `convert` would follow for `notebook` (roles from its cell tags, `# nb2prod:`
    comments and `[tool.nb2prod]`), without pinning, rendering or writing anything."""
    from nb2prod.convert.plan import make_plan
    from nb2prod.notebook.load import load

    _reread_config()
    try:
        roles = options.roles if options.roles is not None else config.config_for(notebook).roles
        made = make_plan(load(notebook), package=options.name, role_overrides=roles)
    except Exception as exc:
        return _failure(notebook, exc)
    return plan_view(made)


def plan_view(made: Plan) -> PlanView:
    """The JSON-ready view of a plan."""
    modules = {f.name: f.module for f in made.functions} | {
        d.name: d.module for d in made.definitions
    }
    statements = tuple(
        StatementView(
            cell=p.statement.cell,
            cell_id=p.statement.cell_id,
            position=p.statement.position,
            line=p.statement.line,
            end_line=p.statement.end_line or p.statement.line,
            role=str(p.role),
            kept=p.kept,
            function=p.function,
            module=modules.get(p.function) if p.function else None,
            reason=p.reason,
            code=_first_code_line(p.statement.code),
        )
        for p in sorted(made.statements, key=lambda p: (p.statement.cell, p.statement.position))
    )
    return PlanView(
        notebook=made.notebook_path,
        package=made.package,
        modules=made.modules,
        functions=tuple(
            FunctionView(
                f.name, f.module, str(f.role), f.params, f.returns, f.config_names, f.cells
            )
            for f in made.functions
        ),
        config=tuple(
            ConfigFieldView(c.name, c.field, c.value, c.type_name, c.cell) for c in made.config
        ),
        statements=statements,
        warnings=made.warnings,
    )


def _first_code_line(code: str) -> str:
    lines = [
        line for line in code.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    first = lines[0].strip() if lines else code.strip()
    return first if len(first) <= 80 else first[:77] + "..."


def preview(
    notebook: str, out: str | Path | None = None, options: ConvertOptions = ConvertOptions()
) -> Preview | Failed:
    """What `convert(notebook, out, options)` would write, diffed against the folder on disk.

    Plans, pins (as convert does), renders and checks in memory; writes nothing. Hidden files
    and caches on disk, the reports, the nb2prod marker and what verify adds to tests/ (golden
    fixtures, the vendored comparer) are not compared.
    """
    import difflib

    from nb2prod.convert.annotations import same_but_annotations
    from nb2prod.convert.build import build
    from nb2prod.verify.fixtures import vendored_sources

    _reread_config()
    target = Path(out) if out is not None else default_package_dir(notebook, options.name)
    try:
        roles = options.roles if options.roles is not None else config.config_for(notebook).roles
        made, rendered = build(
            notebook,
            package=options.name,
            role_overrides=roles,
            pin=options.pin,
            python=options.python,
            out_dir=target,  # the generated tests name the project root from there
        )
    except Exception as exc:
        return _failure(notebook, exc)
    on_disk: dict[str, Path] = {}
    vendored = frozenset(vendored_sources())
    if target.is_dir():
        for path in sorted(target.rglob("*")):
            relative = path.relative_to(target)
            hidden = any(p.startswith(".") or p == "__pycache__" for p in relative.parts)
            if (
                path.is_file()
                and not hidden
                and not _written_by_verify(relative.as_posix(), vendored)
            ):
                on_disk[relative.as_posix()] = path
    changes = []
    for name in sorted((set(rendered.files) | set(on_disk)) - _NOT_DIFFED):
        new = rendered.files.get(name)
        try:
            old = on_disk[name].read_text(encoding="utf-8") if name in on_disk else None
        except (OSError, UnicodeDecodeError):
            old = ""  # unreadable or binary: shown as changed, without lines
        if old == new:
            continue
        # verify annotated the written modules with captured types: not a change of code
        if old and new and name.endswith(".py") and same_but_annotations(old, new):
            continue
        status = "added" if old is None else "removed" if new is None else "changed"
        if target.is_dir():
            diff = "".join(
                difflib.unified_diff(
                    (old or "").splitlines(keepends=True),
                    (new or "").splitlines(keepends=True),
                    fromfile=f"a/{name}",
                    tofile=f"b/{name}",
                )
            )
            changes.append(FileChange(name, status, diff))
    return Preview(
        plan_view(made),
        target,
        target.exists(),
        tuple(changes),
        tuple(sorted(rendered.files)),
    )


__all__ += [
    "ConfigFieldView",
    "FileChange",
    "FunctionView",
    "PlanView",
    "Preview",
    "StatementView",
    "plan",
    "plan_view",
    "preview",
]
