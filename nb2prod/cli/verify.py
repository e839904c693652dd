"""`nb2prod verify NOTEBOOK [PACKAGE_DIR]`: prove (or refute) that the package does what the notebook did."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from nb2prod.cli import ExitCode

# Cell statuses of a fresh run that ended there (verify.CellCheck.status).
STOPPED = ("timeout", "fails-fresh", "error-both")
EXIT_FOR_VERDICT = {
    "equivalent": ExitCode.OK,
    "differs": ExitCode.FINDINGS,
    "unverified": ExitCode.UNVERIFIED,
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kernel", help="kernel to run the notebook with (default: its kernelspec)")
    p.add_argument(
        "--timeout", type=float, default=600, metavar="S", help="per-cell timeout (default 600 s)"
    )
    p.add_argument(
        "--no-second-run",
        action="store_true",
        help="do not re-run the notebook to tell nondeterministic cells from hidden state",
    )


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "verify",
        help="run the notebook fresh and its generated package, and compare them",
        description="Run the notebook top to bottom (papermill) and the generated package side by side, "
        "compare every value crossing a function boundary, and report equivalent / differs / unverified. "
        "Exit 0 equivalent, 1 differs (NB401), 4 unverified, 2 bad input.",
        epilog="A fresh run that stops early (a cell raises, calls sys.exit(), waits on input(), kills its "
        "kernel, or exceeds --timeout) is named by cell index and id ('the fresh run stopped at cell N "
        "(id ...)') and exits 4 (unverified), or 1 if a value compared before that cell differs. The run "
        "happens in a scratch copy of the notebook's folder with its own TMPDIR; the kernel and everything "
        "it started are killed and the copy removed, also on Ctrl-C (message, exit 130). Each cell keeps "
        "at most 1,000,000 characters per stream and 10,000,000 of display outputs.",
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="NOTEBOOK [PACKAGE_DIR]",
        help="notebooks; or one notebook and the folder of its generated package",
    )
    p.add_argument(
        "-j", "--jobs", type=int, default=1, metavar="N", help="notebooks verified at once"
    )
    add_arguments(p)


def verify_one(
    notebook: str,
    package_dir: str | None,
    kernel: str | None,
    timeout: float,
    second_run: bool,
    show_progress: bool,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, str]:
    """Verify one notebook; return the exit code and the text to print. Never raises.

    `progress(done, total)` replaces the terminal bar (the JupyterLab server's job runner).
    """
    import tempfile

    from nb2prod.convert.build import build
    from nb2prod.convert.write import write_package
    from nb2prod.core.errors import InputError, InternalError
    from nb2prod.verify.report import VERDICT_WORDS, write_reports
    from nb2prod.verify.verification import verify

    package_dir = str(Path(package_dir).resolve()) if package_dir else None
    try:
        try:
            plan, package = build(notebook, pin=False)
        except InputError as exc:
            if exc.kind not in ("unparsable-cell", "unsupported-code"):
                raise
            return _notebook_only(notebook, exc, kernel, timeout, second_run, show_progress)
        with tempfile.TemporaryDirectory(prefix="nb2prod-verify-") as tmp:
            target = Path(package_dir) if package_dir else Path(tmp) / plan.package
            if not package_dir:
                write_package(package, target, notebook=Path(notebook))
            with _progress(show_progress and progress is None, notebook) as bar:
                result = verify(
                    notebook,
                    plan,
                    target,
                    kernel=kernel,
                    cell_timeout=timeout,
                    progress=progress or bar,
                    second_run=second_run,
                    golden_tests=bool(package_dir),
                )
            if package_dir:
                write_reports(result, target)
                _repin(plan, target, result.imported_modules)
    except InputError as exc:
        return ExitCode.USAGE, f"nb2prod: error: {exc}"
    except InternalError as exc:
        return ExitCode.INTERNAL, f"nb2prod: {exc}"
    lines = [f"{notebook}: {VERDICT_WORDS[result.verdict]}"]
    stopped = next((c for c in result.cells if c.status in STOPPED), None)
    if stopped is not None:
        why = (
            stopped.differences[0]
            if stopped.differences and stopped.differences[0]
            else "it failed"
        )
        lines.append(
            f"  the fresh run stopped at cell {stopped.cell} (id {stopped.cell_id!r}): {why}"
        )
    first = result.first_divergence
    if first is not None:
        value = next(c for c in first.values if c.verdict == "differs")
        lines.append(
            f"  first diverging function: {first.function}() in {first.module}.py, variable "
            f"'{value.name}': {value.detail.strip().splitlines()[0] if value.detail.strip() else ''}"
        )
    for finding in result.findings:
        lines.append(
            f"{notebook}:cell {finding.cell}:line {finding.line}: {finding.code} {finding.message}"
        )
    counts = {
        v: sum(1 for f in result.functions if f.verdict == v)
        for v in ("equivalent", "differs", "unverified", "not-compared")
    }
    lines.append(
        f"  functions: {counts['equivalent']} equivalent, {counts['differs']} differ, "
        f"{counts['unverified']} unverified, {counts['not-compared']} draw or print only (not compared); "
        f"notebook {result.notebook_seconds:.1f} s, "
        f"package {result.package_seconds:.1f} s, wall {result.wall_seconds:.1f} s"
    )
    if package_dir:
        lines.append(f"  report: {Path(package_dir) / 'nb2prod-report.md'} (and .html)")
    return EXIT_FOR_VERDICT[result.verdict], "\n".join(lines)


def _notebook_only(
    notebook: str,
    refusal: Exception,
    kernel: str | None,
    timeout: float,
    second_run: bool,
    show_progress: bool,
) -> tuple[int, str]:
    """The notebook cannot be converted; still run it fresh and report its own hidden state."""
    from nb2prod.convert.plan import Plan, package_name
    from nb2prod.core.errors import InputError
    from nb2prod.verify.verification import verify

    empty = Plan(notebook, package_name(notebook), (), (), (), (), (), (), ())
    try:
        with _progress(show_progress, notebook) as progress:
            result = verify(
                notebook,
                empty,
                None,
                kernel=kernel,
                cell_timeout=timeout,
                progress=progress,
                second_run=second_run,
            )
    except InputError as exc:
        return ExitCode.USAGE, f"nb2prod: error: {exc}"
    lines = [
        f"nb2prod: error: {refusal}",
        f"{notebook}: not converted, so no equivalence check; the notebook's "
        "own stored outputs against a fresh run:",
    ]
    lines += [
        f"{notebook}:cell {f.cell}:line {f.line}: {f.code} {f.message}" for f in result.findings
    ]
    return ExitCode.USAGE, "\n".join(lines)


def _repin(plan, package_dir: Path, imported: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    """Pin again with the modules the fresh run imported (packages used only indirectly)."""
    from nb2prod.convert.render import render_pyproject
    from nb2prod.convert.write import write_file_atomically
    from nb2prod.core.errors import InputError
    from nb2prod.pin import plan_requirements

    try:
        dependencies = plan_requirements(plan, imported_modules=imported)
    except InputError:
        return  # convert already wrote the best pins it could, and said why
    write_file_atomically(package_dir / "pyproject.toml", render_pyproject(plan, dependencies))


class _progress:
    """A progress bar on the terminal (rich), or nothing when output is not a terminal."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.label = label

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.enabled:
            return None
        from rich.progress import Progress

        self.bar = Progress(transient=True)
        self.bar.start()
        self.task = self.bar.add_task(f"running {Path(self.label).name}", total=None)
        return lambda done, total: self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.bar.stop()


def _verify_star(args: tuple[str, None, str | None, float, bool, bool]) -> tuple[int, str]:
    return verify_one(*args)


def run(args: argparse.Namespace) -> int:
    from nb2prod.verify.execute import contained_session

    with contained_session():  # no kernel nor package run outlives the command
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    paths = list(args.paths)
    package_dir = None
    if len(paths) == 2 and Path(paths[1]).is_dir() and not paths[1].endswith(".ipynb"):
        paths, package_dir = [paths[0]], paths[1]
    jobs = [
        (p, package_dir, args.kernel, args.timeout, not args.no_second_run, len(paths) == 1)
        for p in paths
    ]
    if args.jobs > 1 and len(paths) > 1:
        from concurrent.futures import (
            ProcessPoolExecutor,
        )  # only here: `check` imports this module too

        with ProcessPoolExecutor(args.jobs) as pool:
            outcomes = list(pool.map(_verify_star, jobs))
    else:
        outcomes = [_verify_star(job) for job in jobs]
    for _, text in outcomes:
        print(text)
    codes = [code for code, _ in outcomes]
    for worst in (ExitCode.INTERNAL, ExitCode.USAGE, ExitCode.FINDINGS, ExitCode.UNVERIFIED):
        if worst in codes:
            return worst
    return ExitCode.OK
