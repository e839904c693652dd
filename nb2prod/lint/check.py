"""`check`: load, analyse and filter findings, one result value per notebook that never raises."""

from __future__ import annotations

import gc
import os
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from nb2prod.analysis.suppressions import is_suppressed
from nb2prod.analysis.symbols import Analysis, collect_symbols
from nb2prod.core.config import CheckOptions, config_for, merge_cli
from nb2prod.core.errors import InputError, UnsupportedLanguage
from nb2prod.core.findings import Finding
from nb2prod.lint.rules import CHECKS
from nb2prod.notebook.load import load
from nb2prod.notebook.model import Notebook


@dataclass(frozen=True, slots=True)
class Checked:
    path: str
    findings: tuple[Finding, ...]


SKIP_KINDS = frozenset({UnsupportedLanguage.kind})


@dataclass(frozen=True, slots=True)
class Failed:
    """The notebook could not be checked; `kind` is "internal" for nb2prod's own bugs."""

    path: str
    kind: str
    message: str
    cell: int | None = None
    cell_id: str | None = None
    line: int | None = None

    @property
    def skipped(self) -> bool:
        """Not an error: the file is fine, just not something nb2prod analyses (another language)."""
        return self.kind in SKIP_KINDS


CheckResult = Checked | Failed


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """Command-line choices layered on each file's own configuration."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()


def analyze(notebook: Notebook, codes: frozenset[str] | None = None) -> Analysis:
    """Run the rules in `codes` (all NB1xx rules when None) and return the sorted findings."""
    base = Analysis(notebook, collect_symbols(notebook))
    findings: list[Finding] = []
    for code in CHECKS:
        if codes is None or code in codes:
            findings.extend(CHECKS[code](base))
    findings.sort(key=lambda f: f.sort_key)
    return Analysis(notebook, base.symbols, tuple(findings))


def options_for(path: str, request: CheckRequest) -> CheckOptions:
    return merge_cli(
        config_for(path).options,
        select=request.select,
        extend_ignore=request.ignore,
        extend_select=request.extend_select,
    )


def check_file(path: str, request: CheckRequest = CheckRequest()) -> CheckResult:
    """Check one notebook; input problems and internal bugs become `Failed`, never exceptions."""
    try:
        options = options_for(path, request)
        notebook = load(path)
        relative = options.relative(path)
        codes = frozenset(code for code in CHECKS if options.enabled(code, relative))
        analysis = analyze(notebook, codes)
        kept = tuple(f for f in analysis.findings if not is_suppressed(f, notebook.cells))
        return Checked(path, kept)
    except InputError as exc:
        message = exc.message if exc.path == path else f"{exc.path}: {exc.message}"
        return Failed(path, exc.kind, message, exc.cell, exc.cell_id)
    except RecursionError:
        return Failed(path, "too-deep", "is nested too deeply to analyse")
    except MemoryError:
        return Failed(path, "too-large", "is too large to analyse in the available memory")
    except Exception as exc:  # an nb2prod bug: keep going with the other files
        detail = "".join(traceback.format_exception(exc)).strip().splitlines()[-1]
        return Failed(path, "internal", f"internal error ({detail}); please report this")


def _check_star(args: tuple[str, CheckRequest]) -> CheckResult:
    return check_file(*args)


def check_paths(
    paths: Iterable[str], request: CheckRequest = CheckRequest(), jobs: int | None = None
) -> Iterator[CheckResult]:
    """Check many notebooks, in input order; in worker processes when there are enough of them."""
    items = list(paths)
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if workers <= 1 or len(items) < 16:
        for path in items:
            yield check_file(path, request)
        return
    # imported here: a pre-commit run on a few notebooks never starts a pool
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    # fork keeps start-up cheap: the workers inherit the imported modules. What they inherit
    # is frozen for the garbage collector while they are forked (`map` forks them all): a
    # collection in a worker neither walks it nor copies its memory pages. (A program that
    # froze objects itself is left as it is.)
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        with ProcessPoolExecutor(
            workers, mp_context=get_context("fork"), initializer=_start_worker
        ) as pool:
            results = pool.map(_check_star, [(p, request) for p in items], chunksize=4)
            if freeze:
                gc.unfreeze()
                freeze = False
            yield from results
    finally:
        if freeze:
            gc.unfreeze()


def _start_worker() -> None:
    """A worker frees a notebook's syntax trees by reference counting alone (they hold no
    cycles): collecting less often saves ~3% of the check (../shared/corpora/wild)."""
    gc.set_threshold(10_000, 10, 10)
