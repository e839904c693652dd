"""`check`: load, analyse and filter findings, one result value per notebook that never raises."""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NoReturn

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


def rules_for(options: CheckOptions, path: str) -> frozenset[str]:
    """The codes of the rules to run on `path`."""
    if options.per_file_ignores:
        relative = options.relative(path)
        return frozenset(code for code in CHECKS if options.enabled(code, relative))
    return _rules(options)


@lru_cache(maxsize=64)
def _rules(options: CheckOptions) -> frozenset[str]:
    """The codes `options` enable in every file: worked out once per project, not per file."""
    return frozenset(code for code in CHECKS if options.enabled(code))


def check_file(path: str, request: CheckRequest = CheckRequest()) -> CheckResult:
    """Check one notebook; input problems and internal bugs become `Failed`, never exceptions."""
    try:
        options = options_for(path, request)
        notebook = load(path)
        analysis = analyze(notebook, rules_for(options, path))
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


def check_paths(
    paths: Iterable[str], request: CheckRequest = CheckRequest(), jobs: int | None = None
) -> Iterator[CheckResult]:
    """Check many notebooks, in input order; in `jobs` processes when there are enough of them."""
    items = list(paths)
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    # forking is safe only with no other thread (one could hold a lock the child then waits
    # for forever): a Jupyter server's handler checks in this process, one file at a time
    single = threading.active_count() == 1
    if workers <= 1 or len(items) < 16 or not hasattr(os, "fork") or not single:
        for path in items:
            yield check_file(path, request)
        return
    _load_rules(request)
    for start in range(0, len(items), _BATCH):
        yield from _check_in_processes(items[start : start + _BATCH], request, workers)


# Work is handed out as fixed-size records of item numbers on a pipe every process reads; a
# batch's records fit in the pipe's buffer (64 KiB on Linux), so it is filled before the fork.
_RECORD = 4
_BATCH = 15_000


def _check_in_processes(items: list[str], request: CheckRequest, workers: int) -> list[CheckResult]:
    """Check `items` in `workers` forked children.

    Each child takes the next item number from one shared pipe, largest files first, so no
    child is left with a large notebook while the others idle, and sends all its results
    back in one pickle when the pipe is empty. This process only waits: the caller's state
    (its garbage collector, its caches) stays as it was. Items left over, or of a child
    that died (killed, out of memory), are checked here.
    """
    order = sorted(range(len(items)), key=lambda i: -_size(items[i]))
    tasks_out, tasks_in = os.pipe()
    os.write(tasks_in, b"".join(i.to_bytes(_RECORD, "little") for i in order))
    os.close(tasks_in)
    # what the children inherit is frozen for the garbage collector while they are forked:
    # a collection in a child neither walks it nor copies its memory pages (a program that
    # froze objects itself is left as it is)
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    children: list[tuple[int, int]] = []  # (pid, read end of its result pipe)
    done: dict[int, CheckResult] = {}
    try:
        for _ in range(min(workers, len(items))):
            results_out, results_in = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # no more processes allowed: the ones started do the work
                os.close(results_out)
                os.close(results_in)
                break
            if pid == 0:  # the child: never returns into the caller's code
                os.close(results_out)
                _child(items, request, tasks_out, results_in)
            os.close(results_in)
            children.append((pid, results_out))
        if freeze:
            gc.unfreeze()
            freeze = False
        while children:
            pid, results_out = children[0]
            done.update(_receive(results_out, pid))
            children.pop(0)
        done.update(_take(items, request, tasks_out))  # no child could be started
    finally:
        if freeze:
            gc.unfreeze()
        os.close(tasks_out)
        for pid, results_out in children:  # interrupted: stop the children that still run
            with contextlib.suppress(OSError):  # closed already if interrupted while reading
                os.close(results_out)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
    for index, path in enumerate(items):
        if index not in done:  # a child died: its items are checked here
            done[index] = check_file(path, request)
    return [done[index] for index in range(len(items))]


def _child(items: list[str], request: CheckRequest, tasks: int, results: int) -> NoReturn:
    """A forked worker's whole life: take items until none is left, send the results, exit
    without running the parent's clean-up (its buffered output, its `atexit` functions)."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent answers a Ctrl-C
        _collect_less()
        payload = pickle.dumps(_take(items, request, tasks), pickle.HIGHEST_PROTOCOL)
        with open(results, "wb", closefd=True) as stream:
            stream.write(payload)
        code = 0
    finally:
        os._exit(code)


def _take(items: list[str], request: CheckRequest, tasks: int) -> dict[int, CheckResult]:
    """Check the items whose numbers this process reads from the shared pipe."""
    done: dict[int, CheckResult] = {}
    while True:
        # a read of a few bytes from a pipe is atomic: each record goes to one reader
        record = os.read(tasks, _RECORD)
        if len(record) < _RECORD:
            return done
        index = int.from_bytes(record, "little")
        done[index] = check_file(items[index], request)


def _receive(stream: int, pid: int) -> dict[int, CheckResult]:
    """A child's results, or none when it died before sending them all."""
    with open(stream, "rb", closefd=True) as reader:
        payload = reader.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return {}
    received: dict[int, CheckResult] = pickle.loads(payload)
    return received


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # `check_file` reports what is wrong with it


def _load_rules(request: CheckRequest) -> None:
    """Import the modules of the rules the command line selects, once here rather than in
    every child (a project's configuration may select more: those load where they run)."""
    options = CheckOptions(request.select, request.ignore, extend_select=request.extend_select)
    for code in CHECKS:
        if options.enabled(code):
            CHECKS[code]  # imports the rule's module


def _collect_less() -> None:
    """A notebook's syntax trees are freed by reference counting alone (they hold no
    cycles): collecting less often while checking saves ~3% (../shared/corpora/wild)."""
    gc.set_threshold(10_000, 10, 10)
