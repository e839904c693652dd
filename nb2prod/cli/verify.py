"""Run the notebook top to bottom (papermill) and the generated package side by side,
compare every value crossing a function boundary, and report equivalent / differs / unverified.
Exit 0 equivalent, 1 differs (NB401), 4 unverified, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from nb2prod import api
from nb2prod.cli import ExitCode
from nb2prod.cli.common import failure
from nb2prod.core.vocabulary import Verdict

if TYPE_CHECKING:
    from nb2prod.api import Verification

# Cell statuses of a fresh run that ended there (verify.CellCheck.status).
STOPPED = ("timeout", "fails-fresh", "error-both")
EXIT_FOR_VERDICT = {
    Verdict.EQUIVALENT: ExitCode.OK,
    Verdict.DIFFERS: ExitCode.FINDINGS,
    Verdict.UNVERIFIED: ExitCode.UNVERIFIED,
}


# `nb2prod verify NOTEBOOK [PACKAGE_DIR]`: prove (or refute) that the package does what the
# notebook did. The module's docstring is the command's description in --help.
HELP = "run the notebook fresh and its generated package, and compare them"
EPILOG = (
    "A fresh run that stops early (a cell raises, calls sys.exit(), waits on input(), kills its "
    "kernel, or exceeds --timeout) is named by cell index and id ('the fresh run stopped at cell N "
    "(id ...)') and exits 4 (unverified), or 1 if a value compared before that cell differs. The run "
    "happens in a scratch copy of the notebook's folder with its own TMPDIR; the kernel and everything "
    "it started are killed and the copy removed, also on Ctrl-C (message, exit 130). Each cell keeps "
    "at most 1,000,000 characters per stream and 10,000,000 of display outputs."
)


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """The options of a verification, shared with `convert`."""
    p.add_argument("--kernel", help="kernel to run the notebook with (default: its kernelspec)")
    p.add_argument(
        "--timeout", type=float, default=600, metavar="S", help="per-cell timeout (default 600 s)"
    )
    p.add_argument(
        "--no-second-run",
        action="store_true",
        help="do not re-run the notebook to tell nondeterministic cells from hidden state",
    )
    p.add_argument(
        "--no-confirm",
        action="store_true",
        help="report check's findings without deciding them with the fresh run",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths",
        nargs="+",
        metavar="NOTEBOOK [PACKAGE_DIR]",
        help="notebooks; or one notebook and the folder of its generated package",
    )
    p.add_argument(
        "-j", "--jobs", type=int, default=1, metavar="N", help="notebooks verified at once"
    )
    add_run_arguments(p)


def verify_options(args: argparse.Namespace) -> api.VerifyOptions:
    return api.VerifyOptions(
        args.kernel, args.timeout, not args.no_second_run, confirm=not args.no_confirm
    )


def outcome(result: api.VerifyResult) -> tuple[ExitCode, str]:
    """The exit code of one notebook's verification and the text to print for it."""
    if isinstance(result, api.Failed):
        return failure(result)
    if isinstance(result, api.NotConverted):
        notebook = result.notebook
        lines = [
            f"nb2prod: error: {api.describe(result.refusal)}",
            f"{notebook}: not converted, so no equivalence check; the notebook's "
            "own stored outputs against a fresh run:",
        ]
        lines += _finding_lines(notebook, result.verification)
        return ExitCode.USAGE, "\n".join(lines)
    v = result.verification
    lines = [f"{result.notebook}: {api.headline(v)}"]
    stopped = next((c for c in v.cells if c.status in STOPPED), None)
    if stopped is not None:
        why = (
            stopped.differences[0]
            if stopped.differences and stopped.differences[0]
            else "it failed"
        )
        lines.append(
            f"  the fresh run stopped at cell {stopped.cell} (id {stopped.cell_id!r}): {why}"
        )
    first, value = v.first_divergence, v.first_difference
    if first is not None and value is not None:
        detail = value.detail.strip().splitlines()[0] if value.detail.strip() else ""
        lines.append(
            f"  first diverging function: {first.function}() in {first.module}.py, variable "
            f"'{value.name}': {detail}"
        )
    lines += _finding_lines(result.notebook, v)
    counts = {verdict: sum(1 for f in v.functions if f.verdict == verdict) for verdict in Verdict}
    lines.append(
        f"  functions: {counts[Verdict.EQUIVALENT]} equivalent, {counts[Verdict.DIFFERS]} differ, "
        f"{counts[Verdict.UNVERIFIED]} unverified, {counts[Verdict.NOT_COMPARED]} draw or print "
        f"only (not compared); notebook {v.notebook_seconds:.1f} s, "
        f"package {v.package_seconds:.1f} s, wall {v.wall_seconds:.1f} s"
    )
    if v.predict is not None:  # beside the verdict above, not part of it
        lines.append(f"  {v.predict.line()}")
    if result.report is not None:
        lines.append(f"  report: {result.report} (and .html)")
    if result.run_page is not None:
        lines.append(f"  the fresh run, disagreeing cells marked: {result.run_page}")
    return EXIT_FOR_VERDICT[Verdict(v.verdict)], "\n".join(lines)


def _finding_lines(notebook: str, v: Verification) -> list[str]:
    """verify's findings, and check's that the fresh run did not refute, each with what the run
    made of it; then a line counting check's findings, naming the refuted (dropped) ones."""
    c = v.confirmation
    lines = []
    for f in v.findings:
        why = c.why(f) if c is not None else None
        said = ""
        if why is not None:
            said = f" [{'confirmed' if f.confirmed else 'undecided'} by the fresh run: {why}]"
        lines.append(f"{notebook}:cell {f.cell}:line {f.line}: {f.code} {f.message}{said}")
    if c is not None and c.findings:
        confirmed = sum(1 for f in c.findings if f.confirmed is True)
        undecided = len(c.findings) - confirmed - len(c.refuted)
        refuted = ", ".join(f"cell {f.cell} {f.code}" for f in c.refuted)
        lines.append(
            f"  check's findings, decided by the fresh run: {confirmed} confirmed, "
            f"{len(c.refuted)} refuted and dropped{f' ({refuted})' if refuted else ''}, "
            f"{undecided} undecided"
        )
    return lines


class ProgressBar:
    """The fresh run's progress on the terminal (rich), started with the run; nothing when
    stderr is not a terminal."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.label = label
        self.bar: Any = None  # rich.progress.Progress, once the run starts
        self.task: Any = None

    def __call__(self, event: api.Progress) -> None:
        if not self.enabled or event.stage is not api.Stage.RUNNING:
            return
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task(f"running {Path(self.label).name}", total=None)
        if event.total:
            self.bar.update(self.task, completed=event.done, total=event.total)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.stop()


def run(args: argparse.Namespace) -> int:
    with api.session():  # no kernel nor package run outlives the command
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    paths = list(args.paths)
    options = verify_options(args)
    if len(paths) == 2 and Path(paths[1]).is_dir() and not paths[1].endswith(".ipynb"):
        with ProgressBar(True, paths[0]) as bar:
            results: tuple[api.VerifyResult, ...] = (
                api.verify(paths[0], paths[1], options.with_progress(bar)),
            )
    elif len(paths) == 1:
        with ProgressBar(True, paths[0]) as bar:
            results = (api.verify(paths[0], None, options.with_progress(bar)),)
    else:
        results = api.verify_many(paths, options, jobs=args.jobs)
    outcomes = [outcome(result) for result in results]
    for _, text in outcomes:
        print(text)
    codes = [code for code, _ in outcomes]
    for worst in (ExitCode.INTERNAL, ExitCode.USAGE, ExitCode.FINDINGS, ExitCode.UNVERIFIED):
        if worst in codes:
            return worst
    return ExitCode.OK
