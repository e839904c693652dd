"""Run a notebook top to bottom with papermill, in a scratch copy of its folder.

This is the baseline of `nb2prod verify` (DESIGN.md, "Verification semantics"): a fresh
run, never the stored outputs. The original folder is never written: the run happens in a
copy, the kernel's working directory is that copy, and the copy is removed afterwards
unless the caller asks to keep it.

Kernels are always stopped, and so is everything they started: the kernel runs in its
own session (jupyter_client starts it with `start_new_session`), carries a per-run marker
in its environment that its children inherit, and after the run every process still
carrying the marker is killed, including children that left the kernel's process group
or were orphaned when the kernel died. `contained_session()` does the same for a whole
command (the package run, pinning queries): nothing it started outlives it.

What a run keeps is bounded: the kernel's temporary files go to the run's own folder
(TMPDIR), and each cell keeps at most `STREAM_LIMIT` characters per stream and
`RICH_LIMIT` characters of rich outputs; the rest is counted, not kept (`cap_outputs`
applies the same limits to stored outputs, so both sides compare alike).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nb2prod.core.errors import InputError, InternalError
from nb2prod.notebook.load import PYTHON_LANGUAGES, load
from nb2prod.notebook.model import Notebook

INJECTED_TAG = "nb2prod-injected"
# Every process of one run carries `NB2PROD_KERNEL_RUN=<token>`; the sweep kills by it.
MARKER_VARIABLE = "NB2PROD_KERNEL_RUN"
FALLBACK_KERNEL = "python3"
# After a cell's reply, how long its last outputs may take to arrive (nbclient's default 4 s
# fails cells with large outputs on a loaded machine; papermill makes that an error).
IOPUB_TIMEOUT = 30
# A folder bigger than this (or with more files) is not copied: only the notebook is.
COPY_LIMIT_BYTES = 200 * 1024 * 1024
COPY_LIMIT_FILES = 20_000
# Never copied into the scratch folder, nor reported as files the run created.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".ipynb_checkpoints",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)
STATUSES = ("ok", "error", "timeout", "not-run")
# Per cell, what a run keeps of its outputs (a cell printing 50 MB must not take 500 MB here).
STREAM_LIMIT = 1_000_000  # characters per stream name (stdout, stderr)
RICH_LIMIT = 10_000_000  # characters of display_data / execute_result payloads
# Every process started under `contained_session()` carries `NB2PROD_SESSION=<token>`.
SESSION_VARIABLE = "NB2PROD_SESSION"
_STDIN_HINT = (
    " (input() and getpass() cannot be answered in a non-interactive run: "
    "make the value a parameter)"
)


@dataclass(frozen=True, slots=True)
class CellRun:
    """What one original cell did in the fresh run."""

    index: int  # 0-based over all cells of the notebook, markdown included
    cell_id: str
    status: str  # one of STATUSES; "not-run": after a failure, or skipped by tag
    outputs: tuple[Mapping[str, Any], ...]  # nbformat v4 output dicts of the fresh run
    error: str | None  # "ZeroDivisionError: division by zero" for "error" and "timeout"
    seconds: float | None  # None when the cell was not executed (markdown, not-run)


@dataclass(frozen=True, slots=True)
class NotebookRun:
    """The fresh run of one notebook; never raised, the failure is a cell's status."""

    path: str  # the original notebook path
    cells: tuple[CellRun, ...]
    seconds: float  # kernel start, every cell, kernel shutdown
    kernel: str  # the kernelspec that ran the notebook (after any fallback)
    workdir_files: tuple[str, ...]  # files the run created or changed in the scratch copy
    notes: tuple[str, ...] = ()  # things the report should say: kernel fallback, partial copy

    @property
    def failed(self) -> CellRun | None:
        """The cell the run stopped at, or None when every cell ran."""
        return next((c for c in self.cells if c.status in ("error", "timeout")), None)


def run_notebook(
    path: str | os.PathLike[str],
    *,
    kernel: str | None = None,
    cell_timeout: float | None = 600,
    inject: Sequence[tuple[int, str]] = (),
    env: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    keep_workdir: Path | None = None,
) -> NotebookRun:
    """Run the notebook top to bottom in a scratch copy of its folder and report every cell.

    `inject` adds code cells (tagged `nb2prod-injected`) before original cell `i`
    (`i == len(cells)`: at the end); they are not reported, and a failure in one is
    reported against the original cell that follows it (or the last cell). With
    `keep_workdir` the run happens in that (empty or new) folder and it is left in place.
    `cell_timeout` of None or 0 means no limit. Raises `InputError` when the notebook
    cannot be read or no kernel can run it.
    """
    name = os.fspath(path)
    _import_papermill()
    notebook = load(name, require_python=False)
    _check_injections(inject, len(notebook.cells))
    kernel_name, notes = _resolve_kernel(notebook, kernel)
    source = Path(name).resolve()
    with tempfile.TemporaryDirectory(
        prefix="nb2prod-run-", ignore_cleanup_errors=True
    ) as state_dir:
        state = Path(state_dir)
        if keep_workdir is not None:
            workdir = Path(keep_workdir).resolve()
            if workdir.exists() and (not workdir.is_dir() or any(workdir.iterdir())):
                raise ValueError(f"keep_workdir {workdir} must be an empty folder or not exist")
        else:
            workdir = state / "work"
        notes += copy_notebook_folder(source, workdir, skip=(state,))
        before = _snapshot(workdir)
        token = secrets.token_hex(16)
        kernel_tmp = state / "tmp"
        kernel_tmp.mkdir()
        tracker = _Tracker(
            total=len(notebook.cells),
            progress=progress,
            cell_timeout=cell_timeout or None,
            workdir=str(workdir),
            token=token,
            kernel_log=state / "kernel.log",
            # tempfile.* in the notebook writes inside this run's folder, removed with it
            kernel_env={
                **os.environ,
                "MPLBACKEND": "Agg",
                "TMPDIR": str(kernel_tmp),
                **(env or {}),
                MARKER_VARIABLE: token,
            },
        )
        exec_nb = _execution_notebook(notebook, inject, kernel_name, tracker)
        input_path, output_path = state / "input.ipynb", state / "output.ipynb"
        import nbformat  # lazy: slow to import

        nbformat.write(exec_nb, str(input_path))
        started = time.perf_counter()
        outcome = _execute(name, input_path, output_path, kernel_name, tracker)
        seconds = time.perf_counter() - started
        created = tuple(sorted(p for p, sig in _snapshot(workdir).items() if before.get(p) != sig))
        cells = _cell_runs(notebook, tracker, outcome, cell_timeout)
    if outcome.failure is None:
        tracker.report(len(notebook.cells))
    stop = next((c.index for c in cells if c.status in ("error", "timeout")), len(cells))
    skipped = [str(c.index) for c in cells if c.status == "not-run" and c.index < stop]
    if skipped:
        which = f"cell {skipped[0]} is" if len(skipped) == 1 else f"cells {', '.join(skipped)} are"
        notes.append(f"{which} tagged skip-execution and did not run")
    return NotebookRun(name, cells, seconds, kernel_name, created, tuple(notes))


# --- kernels -------------------------------------------------------------------------


def _resolve_kernel(notebook: Notebook, requested: str | None) -> tuple[str, list[str]]:
    """Pick the kernelspec: the one asked for, else the notebook's, else python3 for Python."""
    from jupyter_client.kernelspec import KernelSpecManager

    installed = {n.lower(): n for n in KernelSpecManager().find_kernel_specs()}
    listing = ", ".join(sorted(installed.values())) or "none"
    if requested is not None:
        if requested.lower() in installed:
            return installed[requested.lower()], []
        raise InputError(
            notebook.path,
            f"kernel {requested!r} is not installed (installed kernels: {listing}); "
            "install it or choose another kernel",
            kind="kernel-missing",
        )
    wanted = notebook.kernel_name
    if wanted and wanted.lower() in installed:
        return installed[wanted.lower()], []
    if notebook.language.lower() in PYTHON_LANGUAGES and FALLBACK_KERNEL in installed:
        if not wanted:
            return FALLBACK_KERNEL, [f"the notebook names no kernel; ran with {FALLBACK_KERNEL}"]
        return FALLBACK_KERNEL, [
            f"the notebook's kernel {wanted!r} is not installed; ran with {FALLBACK_KERNEL} instead"
        ]
    raise InputError(
        notebook.path,
        f"kernel {wanted or FALLBACK_KERNEL!r} ({notebook.language}) is not installed "
        f"(installed kernels: {listing}); install it, e.g. "
        "`python -m ipykernel install --sys-prefix --name python3`",
        kind="kernel-missing",
    )


@dataclass(slots=True)
class _Outcome:
    """How the papermill call ended."""

    failure: str | None = None  # None, "error", "timeout", "dead", "exit"
    exec_id: str | None = None  # the execution-notebook cell the run stopped at
    message: str | None = None


@dataclass(slots=True)
class _Budget:
    """What one cell may still keep of its outputs (`STREAM_LIMIT`, `RICH_LIMIT`); the rest is counted."""

    kept: dict[str, int] = field(default_factory=dict)  # stream name -> characters kept
    rich: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # stream name -> characters not kept
    dropped_rich: int = 0  # display outputs not kept
    dropped_rich_chars: int = 0

    def admit(self, output: Mapping[str, Any]) -> bool | str:
        """True: keep the output; False: drop it; a string: keep this head of a stream's text."""
        kind = output.get("output_type")
        if kind == "stream":
            name = str(output.get("name", "stdout"))
            text = _text_of(output.get("text"))
            used = self.kept.get(name, 0)
            room = STREAM_LIMIT - used
            if len(text) <= room:
                self.kept[name] = used + len(text)
                return True
            self.kept[name] = STREAM_LIMIT
            self.dropped[name] = self.dropped.get(name, 0) + len(text) - max(room, 0)
            return text[:room] if room > 0 else False
        if kind in ("display_data", "execute_result"):
            data = output.get("data")
            size = sum(len(_text_of(v)) for v in data.values()) if isinstance(data, Mapping) else 0
            if self.rich + size <= RICH_LIMIT:
                self.rich += size
                return True
            self.dropped_rich += 1
            self.dropped_rich_chars += size
            return False
        return True  # errors are always kept whole

    def markers(self) -> list[dict[str, Any]]:
        """Stream outputs saying what was not kept, appended after the kept outputs."""
        notes = [
            {
                "output_type": "stream",
                "name": name,
                "text": f"\n[nb2prod: {count:,} more characters of {name} not kept "
                f"(limit {STREAM_LIMIT:,} per cell)]\n",
            }
            for name, count in sorted(self.dropped.items())
        ]
        if self.dropped_rich:
            notes.append(
                {
                    "output_type": "stream",
                    "name": "stdout",
                    "text": f"\n[nb2prod: {self.dropped_rich:,} more display outputs "
                    f"({self.dropped_rich_chars:,} characters) not kept "
                    f"(limit {RICH_LIMIT:,} per cell)]\n",
                }
            )
        return notes


def cap_outputs(outputs: Sequence[Any]) -> list[Any]:
    """Stored outputs with the limits a fresh run applies, so the two compare alike."""
    budget = _Budget()
    kept = []
    for output in outputs:
        verdict = budget.admit(output) if isinstance(output, Mapping) else True
        if verdict is True:
            kept.append(output)
        elif verdict is not False:
            kept.append({**output, "text": verdict})
    return kept + budget.markers()


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return "" if value is None else json.dumps(value, default=str)


@functools.cache
def _engine_name() -> str:
    """Register (once) papermill's nbclient engine with a client that bounds each cell's outputs."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args
    from traitlets import Any as AnyTrait

    class _Client(PapermillNotebookClient):  # type: ignore[misc]
        nb2prod_tracker = AnyTrait(None)

        def output(
            self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int
        ) -> Any:
            tracker, exec_id = self.nb2prod_tracker, self.nb.cells[cell_index].id
            if tracker is not None and self.clear_before_next_output:
                tracker.budget(exec_id, reset=True)  # clear_output(wait=True): what was kept goes
            out = super().output(outs, msg, display_id, cell_index)
            # outputs that a display id may update later are kept (and counted) as they are
            if tracker is None or out is None or display_id or not outs or outs[-1] is not out:
                return out
            verdict = tracker.budget(exec_id).admit(out)
            if verdict is False:
                outs.pop()
                return None
            if verdict is not True:
                out["text"] = verdict
            return out

        def clear_output(self, outs: list[Any], msg: dict[str, Any], cell_index: int) -> None:
            super().clear_output(outs, msg, cell_index)
            if self.nb2prod_tracker is not None and not outs:
                self.nb2prod_tracker.budget(self.nb.cells[cell_index].id, reset=True)

    class _Engine(NBClientEngine):  # type: ignore[misc]
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            **kwargs: Any,
        ) -> Any:
            # papermill's NBClientEngine.execute_managed_notebook, with the client above
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs,
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            return _Client(nb_man, **final_kwargs).execute()

    papermill_engines.register("nb2prod", _Engine)
    return "nb2prod"


@dataclass(slots=True)
class _Tracker:
    """Mutable state of one run, shared by the nbclient hooks and the kernel manager."""

    total: int
    progress: Callable[[int, int], None] | None
    cell_timeout: float | None
    workdir: str
    token: str
    kernel_env: dict[str, str]
    kernel_log: Path
    kernel_log_handle: Any = None
    slots: dict[str, tuple[int, bool, Mapping[str, Any]]] = field(default_factory=dict)
    cells: dict[str, Any] = field(default_factory=dict)  # exec id -> executed cell node
    order: list[str] = field(default_factory=list)  # exec ids in the order they started
    replies: dict[str, str] = field(default_factory=dict)  # exec id -> execute_reply status
    seconds: dict[str, float] = field(default_factory=dict)
    running: str | None = None
    running_since: float = 0.0
    interrupted: int | None = None  # the signal that stopped the run
    signals: tuple[int, ...] = ()  # the signals this run handles (main thread, not ignored)
    process: subprocess.Popen[bytes] | None = None
    manager: Any = None
    shutdown: asyncio.Future[None] | None = None  # the kernel shutdown a signal started, kept alive
    done: int = 0
    budgets: dict[str, _Budget] = field(default_factory=dict)  # exec id -> what its outputs kept

    def budget(self, exec_id: str, *, reset: bool = False) -> _Budget:
        if reset or exec_id not in self.budgets:
            self.budgets[exec_id] = _Budget()
        return self.budgets[exec_id]

    def report(self, done: int) -> None:
        if self.progress is not None and done > self.done:
            self.done = done
            self.progress(done, self.total)

    def on_cell_start(self, cell: Any, cell_index: int) -> None:
        self.order.append(cell.id)
        self.cells[cell.id] = cell
        self.report(self.slots[cell.id][0])

    def on_cell_execute(self, cell: Any, cell_index: int) -> None:
        self.running, self.running_since = cell.id, time.monotonic()

    def on_cell_executed(
        self, cell: Any, cell_index: int, execute_reply: Mapping[str, Any]
    ) -> None:
        self.running = None
        self.seconds[cell.id] = time.monotonic() - self.running_since
        self.replies[cell.id] = str(execute_reply.get("content", {}).get("status", "ok"))
        index, injected, _ = self.slots[cell.id]
        if not injected:
            self.report(index + 1)

    def on_signal(self, signum: int) -> None:
        """Ctrl-C or SIGTERM while a cell runs: kill the kernel, then re-raise after cleanup."""
        self.interrupted = signum
        if self.manager is not None:
            self.shutdown = asyncio.ensure_future(self.manager.shutdown_kernel(now=True))
        if os.environ.get(SESSION_VARIABLE):  # in a session, no new run may start either
            _STOPPING.set()
        _interrupt_runs(signum, besides=self)  # runs on other threads stop too


# Runs in progress in this process (any thread), so that Ctrl-C stops them all: a run on a
# worker thread gets no signal of its own. Keyed by id(): trackers are mutable, unhashable.
_RUNS: dict[int, _Tracker] = {}
_RUNS_LOCK = threading.Lock()
_STOPPING = threading.Event()  # set by a session's signal handler: no new run may start


def _interrupt_runs(signum: int, besides: _Tracker | None = None) -> None:
    """Mark every other run interrupted and kill its kernel's process group; they unwind and raise."""
    with _RUNS_LOCK:
        others = [t for t in _RUNS.values() if t is not besides]
        for tracker in others:
            tracker.interrupted = signum
    for tracker in others:
        _kill_kernel_group(tracker.process)


def _kill_kernel_group(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        with contextlib.suppress(OSError):
            os.killpg(os.getpgid(process.pid), signal.SIGKILL)  # alive, so the group is ours


def _manager_class(tracker: _Tracker) -> type:
    """A kernel manager that starts the kernel in the scratch folder and kills it mid-cell."""
    from jupyter_client.manager import AsyncKernelManager

    class _Manager(AsyncKernelManager):  # type: ignore[misc]
        async def start_kernel(self, **kw: Any) -> None:
            kw["env"] = dict(tracker.kernel_env)
            kw["cwd"] = tracker.workdir
            tracker.manager = self
            # What the kernel writes to its own stdout/stderr (its warnings, C-level prints,
            # "Fatal Python error") goes to a log file, not to the caller's terminal.
            kw["stdout"], kw["stderr"] = tracker.kernel_log_handle, subprocess.STDOUT
            await super().start_kernel(**kw)
            provisioner = self.provisioner
            tracker.process = getattr(provisioner, "process", None)
            if tracker.interrupted is not None:  # interrupted while the kernel was starting
                _kill_kernel_group(tracker.process)
            # papermill drives nbclient's synchronous API, where Ctrl-C raises wherever the
            # event loop happens to be and SIGTERM ends this process at once (the kernel's
            # children surviving). On the loop instead: kill the kernel, let the run unwind
            # and clean up, then re-raise (`_execute`).
            with contextlib.suppress(RuntimeError, ValueError, NotImplementedError):
                loop = asyncio.get_running_loop()
                for signum in tracker.signals:
                    loop.add_signal_handler(signum, tracker.on_signal, signum)

        async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
            # Stopped in the middle of a cell (timeout, interruption): a kernel that is busy
            # cannot be asked politely, so kill its whole process group now. Same when the
            # kernel has child processes left: ipykernel's shutdown counts its dead, unreaped
            # children as alive and keeps signalling them, so jupyter_client's graceful
            # shutdown would wait half of `shutdown_wait_time` and then SIGTERM it anyway.
            process = tracker.process
            now = (
                now
                or tracker.running is not None
                or (process is not None and process.poll() is None and bool(_children(process.pid)))
            )
            await super().shutdown_kernel(now=now, restart=restart)

    return _Manager


_IMPORT_LOCK = threading.Lock()


def _import_papermill() -> None:
    """Import papermill and nbformat once, without jsonschema's IRI grammar.

    jsonschema imports every optional format checker it finds at import time; with
    rfc3987-syntax installed (jupyter_server brings it) that builds ~40 Lark grammars, about
    1.5 s of CPU before the first kernel can start, for an "iri" format that nbformat's schema
    never uses. The module is hidden only while jsonschema is first imported, and only when
    nothing in this process imported either yet (a Jupyter server keeps its own checkers).
    """
    import sys

    with _IMPORT_LOCK:
        if "papermill" in sys.modules:
            return
        if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
            sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # import raises ImportError
            try:
                import jsonschema  # noqa: F401
            finally:
                if "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None:
                    del sys.modules["rfc3987_syntax"]
        import nbformat  # noqa: F401
        import papermill  # noqa: F401


def _execute(
    notebook_path: str, input_path: Path, output_path: Path, kernel_name: str, tracker: _Tracker
) -> _Outcome:
    """Call papermill; always leave no kernel (nor anything it started) running."""
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    papermill_log = logging.getLogger("papermill")  # nbclient logs through it too
    if not papermill_log.handlers:
        # Without any handler, logging's last resort prints nbclient's "Timeout waiting for
        # execute reply" to stderr; the run's result already says it. Applications that
        # configure logging still receive the records through propagation.
        papermill_log.addHandler(logging.NullHandler())
    in_main = threading.current_thread() is threading.main_thread()
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} if in_main else {}
    tracker.signals = tuple(s for s, handler in saved.items() if handler != signal.SIG_IGN)
    outcome = _Outcome()
    with _RUNS_LOCK:
        if _STOPPING.is_set():
            raise KeyboardInterrupt
        _RUNS[id(tracker)] = tracker
    tracker.kernel_log_handle = open(tracker.kernel_log, "ab")  # noqa: SIM115 (closed below)
    try:
        papermill.execute_notebook(
            _literal(input_path),
            _literal(output_path),
            kernel_name=kernel_name,
            engine_name=_engine_name(),
            nb2prod_tracker=tracker,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            # The kernel's cwd is set by the kernel manager: papermill's `cwd=` would chdir
            # this whole process, under every other thread (the caller runs one).
            kernel_manager_class=_manager_class(tracker),
            timeout_func=lambda cell: tracker.cell_timeout,  # `timeout` is an int trait
            iopub_timeout=IOPUB_TIMEOUT,
            on_cell_start=tracker.on_cell_start,
            on_cell_execute=tracker.on_cell_execute,
            on_cell_executed=tracker.on_cell_executed,
        )
    except PapermillExecutionError:
        # Read from the hooks below: papermill names the first error output, even one of a
        # `raises-exception` cell after which the run went on.
        pass
    except (CellTimeoutError, DeadKernelError) as exc:
        exec_id = tracker.running or (tracker.order[-1] if tracker.order else None)
        if exec_id is not None and tracker.running == exec_id:
            tracker.seconds[exec_id] = time.monotonic() - tracker.running_since
        if isinstance(exc, DeadKernelError):
            outcome = _Outcome("dead", exec_id)
        elif "IOPub" in str(exc):  # the reply came, the outputs did not all follow
            outcome = _Outcome(
                "error",
                exec_id,
                f"TimeoutError: the cell finished but its outputs "
                f"did not all arrive within {IOPUB_TIMEOUT} s",
            )
        else:
            outcome = _Outcome("timeout", exec_id)
    except Exception as exc:
        if tracker.interrupted is None and not tracker.order:
            raise InputError(
                notebook_path,
                f"kernel {kernel_name!r} could not be started: {exc}",
                kind="kernel-missing",
            ) from exc
        if tracker.interrupted is None:
            raise
    finally:
        with _RUNS_LOCK:
            _RUNS.pop(id(tracker), None)
        _stop_everything(tracker)
        _cancel_leftover_tasks()
        tracker.kernel_log_handle.close()
        if in_main:
            _restore_signals(saved)
    if tracker.interrupted is not None:
        if tracker.interrupted != signal.SIGINT and in_main:
            signal.raise_signal(tracker.interrupted)  # now the caller's own handling applies
        raise KeyboardInterrupt
    if outcome.failure is None:
        outcome = _stopped_early(tracker)
    return outcome


def _literal(path: Path) -> str:
    """papermill formats paths with `str.format` (for parameters): escape the braces."""
    return str(path).replace("{", "{{").replace("}", "}}")


def _stopped_early(tracker: _Tracker) -> _Outcome:
    """The first cell whose error stopped the run, if any.

    papermill returns normally after `sys.exit()` / `sys.exit(0)` though later cells did not
    run: for a baseline that is a stop like any other.
    """
    for exec_id in tracker.order:
        if tracker.replies.get(exec_id) == "error" and not _allows_errors(
            tracker.slots[exec_id][2]
        ):
            error = next(
                (
                    o
                    for o in tracker.cells[exec_id].get("outputs", ())
                    if o.get("output_type") == "error"
                ),
                None,
            )
            if error is not None:
                return _Outcome(
                    "exit" if error.get("ename") == "SystemExit" else "error",
                    exec_id,
                    f"{error.get('ename')}: {error.get('evalue')}",
                )
            return _Outcome("error", exec_id, "the cell failed without an error output")
    return _Outcome()


def _allows_errors(metadata: Mapping[str, Any]) -> bool:
    tags = metadata.get("tags") or ()
    return isinstance(tags, list) and "raises-exception" in tags


def _cancel_leftover_tasks() -> None:
    """Cancel nbclient's output-polling task, which it leaves pending after a timeout.

    Left alone it lives on in the thread's event loop (jupyter_core keeps one per thread)
    and asyncio prints "Task was destroyed but it is pending!" when that loop goes away.
    """
    try:
        asyncio.get_running_loop()
        return  # papermill ran on jupyter_core's runner thread: not ours to touch
    except RuntimeError:
        pass
    from jupyter_core.utils import ensure_event_loop

    with contextlib.suppress(Exception):
        loop = ensure_event_loop()
        tasks = [
            task
            for task in asyncio.all_tasks(loop)
            if not task.done()
            and getattr(task.get_coro(), "__qualname__", "").startswith("NotebookClient.")
        ]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def _restore_signals(saved: Mapping[int, Any]) -> None:
    """Remove our loop signal handlers: the loop outlives the run, the handlers must not."""
    from jupyter_core.utils import ensure_event_loop

    with contextlib.suppress(Exception):
        loop = ensure_event_loop()
        for signum in saved:
            loop.remove_signal_handler(signum)
    for signum, handler in saved.items():
        with contextlib.suppress(Exception):
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _stop_everything(tracker: _Tracker) -> None:
    """Kill the kernel if nbclient left it running, then every process of this run."""
    process = tracker.process
    if process is not None and process.poll() is None:
        _kill_kernel_group(process)
        with contextlib.suppress(OSError):
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    _kill_marked(tracker.token)


def _kill_marked(token: str, variable: str = MARKER_VARIABLE) -> None:
    """Kill every process whose environment carries this marker, and wait for them."""
    pids = _marked_processes(token, variable)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if _alive(pid)]
        if pids:
            time.sleep(0.02)


def _marked_processes(token: str, variable: str = MARKER_VARIABLE) -> list[int]:
    """Processes of this user whose `variable` holds `token` (a comma-separated list of tokens).

    psutil (an ipykernel dependency), else /proc.
    """
    me = os.getpid()
    try:
        import psutil
    except ImportError:
        return _marked_processes_from_proc(token, variable, me)
    found = []
    uid = os.getuid() if hasattr(os, "getuid") else None
    for proc in psutil.process_iter(["uids"]):
        try:
            if uid is not None and proc.info["uids"] is not None and proc.info["uids"].real != uid:
                continue
            if proc.pid != me and token in proc.environ().get(variable, "").split(","):
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


def _marked_processes_from_proc(token: str, variable: str, me: int) -> list[int]:
    prefix = f"{variable}=".encode()
    if not os.path.isdir("/proc"):
        return []
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                values = [
                    v[len(prefix) :] for v in handle.read().split(b"\0") if v.startswith(prefix)
                ]
        except OSError:
            continue
        if values and token.encode() in values[0].split(b","):
            found.append(int(entry))
    return found


@contextlib.contextmanager
def contained_session() -> Iterator[None]:
    """Let nothing started inside outlive it: kernels, the package run, pinning queries.

    Every process started inside inherits `NB2PROD_SESSION` (a nested session adds its own
    token to the list); on the way out, however it goes (error, Ctrl-C, SIGTERM), those
    still alive are killed. Ctrl-C and SIGTERM (unless the caller handles them) first stop
    the runs on every thread, then raise KeyboardInterrupt in the main thread. Temporary
    files of the processes started inside go to one folder, removed at the end; this
    process keeps its own temporary folder (its messages name files there).
    """
    token = secrets.token_hex(16)
    in_main = threading.current_thread() is threading.main_thread()
    ours = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    saved_signals = {s: signal.getsignal(s) for s in ours} if in_main else {}
    replaced = [s for s, handler in saved_signals.items() if handler == ours[s]]
    saved_env = {name: os.environ.get(name) for name in (SESSION_VARIABLE, "TMPDIR")}
    saved_tempdir = tempfile.tempdir
    threads = set(threading.enumerate())
    children_tmp = None
    try:
        own_tmp = tempfile.gettempdir()
        _remove_dead_sessions(own_tmp)
        children_tmp = tempfile.mkdtemp(prefix=f"{_SESSION_PREFIX}{os.getpid()}-")
        tempfile.tempdir = own_tmp  # fixed before TMPDIR changes below
        outer = saved_env[SESSION_VARIABLE]
        os.environ.update(
            {SESSION_VARIABLE: f"{outer},{token}" if outer else token, "TMPDIR": children_tmp}
        )
        _STOPPING.clear()
        for signum in replaced:
            signal.signal(signum, _stop_and_raise)
        yield
    finally:
        for signum in replaced:
            signal.signal(signum, saved_signals[signum])
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _kill_marked(token, SESSION_VARIABLE)
        # threads that were waiting on those processes (verify's package run) now finish and
        # remove their temporary folders; a daemon thread would be cut short at exit
        deadline = time.monotonic() + 10
        for thread in set(threading.enumerate()) - threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if children_tmp is not None:
            shutil.rmtree(children_tmp, ignore_errors=True)
        tempfile.tempdir = saved_tempdir
        _STOPPING.clear()


_SESSION_PREFIX = "nb2prod-session-"


def _remove_dead_sessions(folder: str) -> None:
    """Session folders of nb2prod processes that were killed (SIGKILL) before removing them."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.startswith(_SESSION_PREFIX) or not entry.is_dir(
                follow_symlinks=False
            ):
                continue
            pid = entry.name[len(_SESSION_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(entry.path, ignore_errors=True)


def _stop_and_raise(signum: int, frame: object) -> None:
    with _RUNS_LOCK:
        _STOPPING.set()
    _interrupt_runs(signum)
    raise KeyboardInterrupt


def _children(pid: int) -> list[int]:
    """Direct child processes of `pid` (psutil, else /proc; empty when neither is there)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return [child.pid for child in psutil.Process(pid).children()]
        except psutil.Error:
            return []
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                if entry.isdigit() and int(handle.read().rsplit(b")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _alive(pid: int) -> bool:
    """Whether a process still runs (a zombie waiting for its reaper does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


# --- the notebook that runs ------------------------------------------------------------


def _check_injections(inject: Sequence[tuple[int, str]], count: int) -> None:
    for before, source in inject:
        if not isinstance(before, int) or not 0 <= before <= count:
            raise ValueError(f"inject position {before!r} is outside 0..{count}")
        if not isinstance(source, str):
            raise TypeError(f"inject source for position {before} is not a string")


def _execution_notebook(
    notebook: Notebook, inject: Sequence[tuple[int, str]], kernel_name: str, tracker: _Tracker
) -> Any:
    """The notebook papermill runs: original cells plus injected ones, with ids we control."""
    from nbformat import v4

    before: dict[int, list[str]] = {}
    for position, source in inject:
        before.setdefault(position, []).append(source)
    cells = []

    def add(cell: Any, index: int, injected: bool) -> None:
        cell.id = f"nb2prod-{len(cells)}"
        tracker.slots[cell.id] = (index, injected, cell.metadata)
        cells.append(cell)

    for index in range(len(notebook.cells) + 1):
        for source in before.get(index, ()):
            add(v4.new_code_cell(source, metadata={"tags": [INJECTED_TAG]}), index, True)
        if index == len(notebook.cells):
            break
        cell = notebook.cells[index]
        metadata = _json_clean(dict(cell.metadata or {}))
        if cell.cell_type == "code":
            add(v4.new_code_cell(cell.source, metadata=metadata), index, False)
        elif cell.cell_type == "markdown":
            add(v4.new_markdown_cell(cell.source, metadata=metadata), index, False)
        else:
            add(v4.new_raw_cell(cell.source, metadata=metadata), index, False)
    metadata = _json_clean(dict(notebook.metadata or {}))
    metadata.pop("papermill", None)
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    metadata["kernelspec"] = {
        "name": kernel_name,
        "display_name": spec.display_name,
        "language": spec.language,
    }
    nb = v4.new_notebook(cells=cells, metadata=metadata)
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    return nb


def _json_clean(value: Any) -> Any:
    """A JSON-only copy (notebook metadata from text formats may hold other types)."""
    return json.loads(json.dumps(value, default=str))


def _cell_runs(
    notebook: Notebook, tracker: _Tracker, outcome: _Outcome, cell_timeout: float | None
) -> tuple[CellRun, ...]:
    """Map the executed cells back onto the original ones."""
    stop_at: int | None = None
    status = message = None
    injected_failure = ""
    if outcome.failure is not None:
        if outcome.exec_id is None:
            if not notebook.cells:
                raise InternalError(f"the run of {notebook.path} failed before any cell: {outcome}")
            outcome.exec_id = next(iter(tracker.slots))
        index, injected, _ = tracker.slots[outcome.exec_id]
        if injected:
            injected_failure = " (in nb2prod-injected code before this cell)"
            if index == len(notebook.cells):
                if not notebook.cells:
                    raise InternalError(
                        f"injected code failed in {notebook.path}, which has no cells: {outcome.message}"
                    )
                index -= 1
                injected_failure = " (in nb2prod-injected code after this cell)"
        stop_at = index
        status, message = _failure_text(outcome, tracker, cell_timeout)
    by_index = {slot[0]: exec_id for exec_id, slot in tracker.slots.items() if not slot[1]}
    runs = []
    for cell in notebook.cells:
        exec_id = by_index.get(cell.index)
        node = tracker.cells.get(exec_id) if exec_id is not None else None
        executed = exec_id in tracker.seconds or (
            exec_id is not None and exec_id == outcome.exec_id
        )
        outputs: tuple[Any, ...] = ()
        if node is not None and executed:
            budget = tracker.budgets.get(exec_id) if exec_id is not None else None
            outputs = tuple(_plain(o) for o in node.get("outputs", ())) + tuple(
                budget.markers() if budget else ()
            )
        seconds = tracker.seconds.get(exec_id) if exec_id is not None else None
        if stop_at is not None and cell.index == stop_at:
            runs.append(
                CellRun(
                    cell.index,
                    cell.id,
                    status or "error",
                    outputs,
                    (message or "") + injected_failure,
                    seconds,
                )
            )
        elif stop_at is not None and cell.index > stop_at:
            runs.append(CellRun(cell.index, cell.id, "not-run", (), None, None))
        elif cell.cell_type == "code" and cell.source.strip() and not executed:
            runs.append(
                CellRun(cell.index, cell.id, "not-run", (), None, None)
            )  # skip-execution tag
        else:
            runs.append(CellRun(cell.index, cell.id, "ok", outputs, None, seconds))
    return tuple(runs)


def _failure_text(
    outcome: _Outcome, tracker: _Tracker, cell_timeout: float | None
) -> tuple[str, str]:
    if outcome.failure == "timeout":
        return "timeout", (
            f"TimeoutError: the cell did not finish within {cell_timeout:g} s; "
            "the kernel and its processes were killed"
        )
    if outcome.failure == "dead":
        code = tracker.process.returncode if tracker.process is not None else None
        if code is None:
            how = "the kernel died while running this cell"
        elif code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            why = " (out of memory?)" if -code == signal.SIGKILL else " (a crash in native code?)"
            how = f"the kernel was killed by {name} while running this cell{why}"
        elif code == 0:
            how = "the kernel process exited (code 0) while running this cell"
        else:
            how = f"the kernel process exited with code {code} while running this cell (os._exit or a crash)"
        return "error", f"DeadKernelError: {how}{_fatal_line(tracker.kernel_log)}"
    message = outcome.message or "the cell failed"
    if outcome.failure == "exit":
        value = message.split(": ", 1)[1] if ": " in message else ""
        return "error", (
            f"SystemExit: {value or 'None'} (sys.exit() ends a top-to-bottom run: "
            "later cells did not run)"
        )
    if message.startswith("StdinNotImplementedError"):
        message += _STDIN_HINT
    return "error", message


def _fatal_line(kernel_log: Path) -> str:
    """The interpreter's last words, when it left any ("Fatal Python error: ...")."""
    try:
        lines = kernel_log.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    fatal = [line.strip() for line in lines if line.startswith("Fatal Python error")]
    return f"; the kernel said: {fatal[-1]}" if fatal else ""


def _plain(value: Any) -> Any:
    """Plain dicts and lists instead of NotebookNodes."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# --- the scratch folder ---------------------------------------------------------------


def copy_notebook_folder(notebook: Path, workdir: Path, *, skip: Sequence[Path] = ()) -> list[str]:
    """Copy the notebook's folder into `workdir`; only the notebook when the folder is huge."""
    source = notebook.parent
    skipped = {p.resolve() for p in (*skip, workdir)}
    workdir.mkdir(parents=True, exist_ok=True)
    size, count = 0, 0
    for _, files in _walk(source, skipped):
        for entry in files:
            with contextlib.suppress(OSError):
                size += entry.stat().st_size if not entry.is_symlink() else 0
            count += 1
        if size > COPY_LIMIT_BYTES or count > COPY_LIMIT_FILES:
            shutil.copy2(notebook, workdir / notebook.name)
            return [
                (
                    f"the notebook's folder {source} holds more than {COPY_LIMIT_BYTES // 2**20} MB "
                    f"or {COPY_LIMIT_FILES} files: only the notebook was copied to the scratch folder"
                )
            ]
    for folder, files in _walk(source, skipped):
        target_dir = workdir / folder.relative_to(source)
        target_dir.mkdir(parents=True, exist_ok=True)
        for entry in files:
            target = target_dir / entry.name
            try:
                if entry.is_symlink():
                    _copy_link(entry, target, source, workdir)
                elif stat.S_ISREG(entry.stat().st_mode):  # not FIFOs, sockets, devices
                    shutil.copy2(entry, target)
            except OSError:
                continue  # unreadable or vanished: the run will say if it needed it
    return []


def _copy_link(link: Path, target: Path, source: Path, workdir: Path) -> None:
    """Links into the folder point into the copy; links out of it keep their absolute target."""
    resolved = link.resolve()
    if resolved.is_relative_to(source):
        os.symlink(os.path.relpath(workdir / resolved.relative_to(source), target.parent), target)
    else:
        os.symlink(resolved, target)


def _walk(root: Path, skipped: set[Path]) -> Iterator[tuple[Path, list[Path]]]:
    """Folders under root with their files (and links); skips VCS, caches and virtualenvs."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        keep = []
        links = []
        for name in dirs:
            path = here / name
            if path.is_symlink():
                links.append(path)
            elif (
                name not in SKIP_DIRS
                and path.resolve() not in skipped
                and not (path / "pyvenv.cfg").exists()
                and not (path / "conda-meta").is_dir()
            ):
                keep.append(name)
        dirs[:] = keep
        yield here, [here / name for name in files] + links


def _snapshot(workdir: Path) -> dict[str, tuple[int, int]]:
    """Relative path -> (size, mtime) of every regular file, to tell what the run wrote."""
    found = {}
    for _folder, files in _walk(workdir, set()):
        for entry in files:
            try:
                info = entry.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                found[entry.relative_to(workdir).as_posix()] = (info.st_size, info.st_mtime_ns)
    return found
