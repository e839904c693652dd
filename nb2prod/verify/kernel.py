"""Drive one kernel through papermill and nbclient, and always leave nothing of it running.

papermill runs the cells; our nbclient client bounds what each cell keeps of its outputs
(`output_limits`), our kernel manager starts the kernel in the scratch folder with the run's
marker in its environment and kills it mid-cell when it must, and signals (Ctrl-C, SIGTERM)
kill the kernel and let the run unwind before they are raised again. Which cell each
executed cell stands for is the caller's business (`execute.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import IO, TYPE_CHECKING, Any, cast

from nb2prod.core.errors import KernelMissing
from nb2prod.verify.containment import (
    children,
    interrupt_runs,
    kill_marked,
    kill_process_group,
    refuse_new_runs_in_session,
    register_run,
    unregister_run,
)
from nb2prod.verify.output_limits import Budget

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager

# After a cell's reply, how long its last outputs may take to arrive (nbclient's default 4 s
# fails cells with large outputs on a loaded machine; papermill makes that an error).
IOPUB_TIMEOUT = 30
# What `signal.getsignal` returns and `signal.signal` takes.
_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


@dataclass(slots=True)
class Outcome:
    """How the papermill call ended."""

    failure: str | None = None  # None, "error", "timeout", "dead", "exit"
    exec_id: str | None = None  # the execution-notebook cell the run stopped at
    message: str | None = None


@dataclass(slots=True)
class Tracker:
    """Mutable state of one run, shared by the nbclient hooks and the kernel manager."""

    total: int
    progress: Callable[[int, int], None] | None
    cell_timeout: float | None
    workdir: str  # the kernel process starts here
    token: str
    kernel_env: dict[str, str]
    kernel_log: Path
    kernel_log_handle: IO[bytes] | None = None
    # put before the kernel's command: the project view's wrapper (`project.View.prefix`),
    # which execs the kernel in place, so the kernel keeps the pid (and group) we started
    launch_prefix: tuple[str, ...] = ()
    # exec id -> (original cell index, injected?, cell metadata)
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
    manager: AsyncKernelManager | None = None
    shutdown: asyncio.Future[None] | None = None  # the kernel shutdown a signal started, kept alive
    done: int = 0
    budgets: dict[str, Budget] = field(default_factory=dict)  # exec id -> what its outputs kept

    def budget(self, exec_id: str, *, reset: bool = False) -> Budget:
        if reset or exec_id not in self.budgets:
            self.budgets[exec_id] = Budget()
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
        refuse_new_runs_in_session()  # in a session, no new run may start either
        interrupt_runs(signum, besides=self)  # runs on other threads stop too


@functools.cache
def _engine_name() -> str:
    """Register (once) papermill's nbclient engine with a client that bounds each cell's outputs."""
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args
    from traitlets import Any as AnyTrait

    if TYPE_CHECKING:  # papermill ships no types: check against the nbclient class it extends
        from nbclient import NotebookClient as PapermillNotebookClient
    else:
        from papermill.clientwrap import PapermillNotebookClient

    class _Client(PapermillNotebookClient):
        nb2prod_tracker = AnyTrait(None)

        def output(
            self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int
        ) -> Any:
            tracker: Tracker | None = self.nb2prod_tracker
            exec_id = self.nb.cells[cell_index].id
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

    def execute_managed_notebook(cls: type, /, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
        # papermill's NBClientEngine.execute_managed_notebook, with the client above
        execution_timeout = kwargs.pop("execution_timeout", None)
        engine_kwargs: dict[str, Any] = {
            "timeout": execution_timeout if execution_timeout else kwargs.get("timeout"),
            "startup_timeout": kwargs.pop("start_timeout", 60),
            "kernel_name": kernel_name,
            "log": logger,
            "log_output": kwargs.pop("log_output", False),
            "stdout_file": kwargs.pop("stdout_file", None),
            "stderr_file": kwargs.pop("stderr_file", None),
        }
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        return _Client(nb_man, **merge_kwargs(safe_kwargs, **engine_kwargs)).execute()

    # a subclass built by type(): papermill's classes are untyped
    engine = type(
        "_Engine",
        (NBClientEngine,),
        {"execute_managed_notebook": classmethod(execute_managed_notebook)},
    )
    papermill_engines.register("nb2prod", engine)
    return "nb2prod"


def _manager_class(tracker: Tracker) -> type[AsyncKernelManager]:
    """A kernel manager that starts the kernel in the project view and kills it mid-cell."""
    from jupyter_client.manager import AsyncKernelManager

    class _Manager(AsyncKernelManager):
        async def _start_kernel(self, **kw: Any) -> None:
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
                kill_process_group(tracker.process)
            # papermill drives nbclient's synchronous API, where Ctrl-C raises wherever the
            # event loop happens to be and SIGTERM ends this process at once (the kernel's
            # children surviving). On the loop instead: kill the kernel, let the run unwind
            # and clean up, then re-raise (`run_cells`).
            with contextlib.suppress(RuntimeError, ValueError, NotImplementedError):
                loop = asyncio.get_running_loop()
                for signum in tracker.signals:
                    loop.add_signal_handler(signum, tracker.on_signal, signum)

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            return [*tracker.launch_prefix, *super().format_kernel_cmd(extra_arguments)]

        async def _shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
            # Stopped in the middle of a cell (timeout, interruption): a kernel that is busy
            # cannot be asked politely, so kill its whole process group now. Same when the
            # kernel has child processes left: ipykernel's shutdown counts its dead, unreaped
            # children as alive and keeps signalling them, so jupyter_client's graceful
            # shutdown would wait half of `shutdown_wait_time` and then SIGTERM it anyway.
            process = tracker.process
            now = (
                now
                or tracker.running is not None
                or (process is not None and process.poll() is None and bool(children(process.pid)))
            )
            await super().shutdown_kernel(now=now, restart=restart)

        # assigned, not defined: AsyncKernelManager declares them as awaitable attributes
        start_kernel = _start_kernel
        shutdown_kernel = _shutdown_kernel

    return _Manager


_IMPORT_LOCK = threading.Lock()


def import_papermill() -> None:
    """Import papermill and nbformat once, without two optional imports nb2prod never uses.

    jsonschema imports every optional format checker it finds at import time; with
    rfc3987-syntax installed (jupyter_server brings it) that builds ~40 Lark grammars, about
    1.5 s of CPU before the first kernel can start, for an "iri" format that nbformat's schema
    never uses. papermill imports pyarrow.fs, when installed, for hdfs:// notebook paths
    nb2prod never gives it: about 40 MB resident. Each module is hidden only while its
    importer is first imported, and only when nothing in this process imported it yet (a
    Jupyter server keeps its own).
    """
    with _IMPORT_LOCK:
        if "papermill" in sys.modules:
            return
        if "jsonschema" not in sys.modules:
            with _hidden("rfc3987_syntax"):
                importlib.import_module("jsonschema")
        import nbformat  # noqa: F401

        with _hidden("pyarrow.fs"):
            import papermill  # noqa: F401


@contextlib.contextmanager
def _hidden(name: str) -> Iterator[None]:
    """Make `import name` raise ImportError inside the block, unless it is already imported."""
    # None in sys.modules makes the import raise ImportError
    modules = cast("dict[str, ModuleType | None]", sys.modules)
    if name in modules:
        yield
        return
    modules[name] = None
    try:
        yield
    finally:
        if name in modules and modules[name] is None:
            del modules[name]


def run_cells(
    notebook_path: str, input_path: Path, output_path: Path, kernel_name: str, tracker: Tracker
) -> Outcome:
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
    saved: dict[signal.Signals, _Handler] = (
        {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} if in_main else {}
    )
    tracker.signals = tuple(s for s, handler in saved.items() if handler != signal.SIG_IGN)
    outcome = Outcome()
    register_run(tracker)
    log_handle = tracker.kernel_log_handle = open(tracker.kernel_log, "ab")  # noqa: SIM115 (closed below)
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
            outcome = Outcome("dead", exec_id)
        elif "IOPub" in str(exc):  # the reply came, the outputs did not all follow
            outcome = Outcome(
                "error",
                exec_id,
                f"TimeoutError: the cell finished but its outputs "
                f"did not all arrive within {IOPUB_TIMEOUT} s",
            )
        else:
            outcome = Outcome("timeout", exec_id)
    except Exception as exc:
        if tracker.interrupted is None and not tracker.order:
            raise KernelMissing(
                notebook_path, f"kernel {kernel_name!r} could not be started: {exc}"
            ) from exc
        if tracker.interrupted is None:
            raise
    finally:
        unregister_run(tracker)
        _stop_everything(tracker)
        _cancel_leftover_tasks()
        log_handle.close()
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


def _stopped_early(tracker: Tracker) -> Outcome:
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
                return Outcome(
                    "exit" if error.get("ename") == "SystemExit" else "error",
                    exec_id,
                    f"{error.get('ename')}: {error.get('evalue')}",
                )
            return Outcome("error", exec_id, "the cell failed without an error output")
    return Outcome()


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


def _restore_signals(saved: Mapping[signal.Signals, _Handler]) -> None:
    """Remove our loop signal handlers: the loop outlives the run, the handlers must not."""
    from jupyter_core.utils import ensure_event_loop

    with contextlib.suppress(Exception):
        loop = ensure_event_loop()
        for signum in saved:
            loop.remove_signal_handler(signum)
    for signum, handler in saved.items():
        with contextlib.suppress(Exception):
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _stop_everything(tracker: Tracker) -> None:
    """Kill the kernel if nbclient left it running, then every process of this run."""
    process = tracker.process
    if process is not None and process.poll() is None:
        kill_process_group(process)
        with contextlib.suppress(OSError):
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    kill_marked(tracker.token)
