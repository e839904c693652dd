"""Let nothing a run started outlive it: process groups, marked processes, sessions, signals.

A kernel runs in its own session (jupyter_client starts it with `start_new_session`) and
carries a per-run marker in its environment (`MARKER_VARIABLE`) that its children inherit;
after the run every process still carrying the marker is killed, including children that
left the kernel's process group or were orphaned when the kernel died. `contained_session()`
does the same for a whole command (the package run, pinning queries): nothing it started
outlives it. Runs in progress register here, so that Ctrl-C or SIGTERM stops them all,
whichever thread they run on.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import NoReturn, Protocol

# Every process of one kernel run carries `NB2PROD_KERNEL_RUN=<token>`; the sweep kills by it.
MARKER_VARIABLE = "NB2PROD_KERNEL_RUN"
# Every process started under `contained_session()` carries `NB2PROD_SESSION=<token>`.
SESSION_VARIABLE = "NB2PROD_SESSION"
_SESSION_PREFIX = "nb2prod-session-"


class Run(Protocol):
    """A kernel run in progress, as signal handling sees it."""

    interrupted: int | None  # the signal that stopped the run
    process: subprocess.Popen[bytes] | None  # its kernel, once started


# Runs in progress in this process (any thread), so that Ctrl-C stops them all: a run on a
# worker thread gets no signal of its own. Keyed by id(): runs are mutable, unhashable.
_RUNS: dict[int, Run] = {}
_RUNS_LOCK = threading.Lock()
_STOPPING = threading.Event()  # set by a session's signal handler: no new run may start


def register_run(run: Run) -> None:
    """Count a run in; KeyboardInterrupt when a signal is stopping the session."""
    with _RUNS_LOCK:
        if _STOPPING.is_set():
            raise KeyboardInterrupt
        _RUNS[id(run)] = run


def unregister_run(run: Run) -> None:
    with _RUNS_LOCK:
        _RUNS.pop(id(run), None)


def refuse_new_runs_in_session() -> None:
    """Inside `contained_session()`, a signal also stops the runs not started yet."""
    if os.environ.get(SESSION_VARIABLE):
        _STOPPING.set()


def interrupt_runs(signum: int, besides: Run | None = None) -> None:
    """Mark every other run interrupted and kill its kernel's process group; they unwind and raise."""
    with _RUNS_LOCK:
        others = [run for run in _RUNS.values() if run is not besides]
        for run in others:
            run.interrupted = signum
    for run in others:
        kill_process_group(run.process)


def kill_process_group(process: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL the process group of a process that still runs."""
    if process is not None and process.poll() is None:
        with contextlib.suppress(OSError):
            os.killpg(os.getpgid(process.pid), signal.SIGKILL)  # alive, so the group is ours


def kill_marked(token: str, variable: str = MARKER_VARIABLE) -> None:
    """Kill every process whose environment carries this marker, and wait for them."""
    pids = _marked_processes(token, variable)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if alive(pid)]
        if pids:
            time.sleep(0.02)


def _marked_processes(token: str, variable: str) -> list[int]:
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
        # A signal during the clean-up waits for its end, then goes to the caller's handler:
        # raised in the middle, it would leave the session folder behind.
        deferred: list[int] = []
        for signum in replaced:
            signal.signal(signum, lambda received, _frame: deferred.append(received))
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        kill_marked(token, SESSION_VARIABLE)
        # threads that were waiting on those processes (verify's package run) now finish and
        # remove their temporary folders; a daemon thread would be cut short at exit
        deadline = time.monotonic() + 10
        for thread in set(threading.enumerate()) - threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if children_tmp is not None:
            shutil.rmtree(children_tmp, ignore_errors=True)
        tempfile.tempdir = saved_tempdir
        _STOPPING.clear()
        for signum in replaced:
            signal.signal(signum, saved_signals[signum])
        if deferred:
            signal.raise_signal(deferred[0])


def _remove_dead_sessions(folder: str) -> None:
    """Session folders of nb2prod processes that were killed (SIGKILL) before removing them."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.startswith(_SESSION_PREFIX) or not entry.is_dir(
                follow_symlinks=False
            ):
                continue
            pid = entry.name[len(_SESSION_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and not alive(int(pid)):
                shutil.rmtree(entry.path, ignore_errors=True)


def _stop_and_raise(signum: int, frame: object) -> NoReturn:
    with _RUNS_LOCK:
        _STOPPING.set()
    interrupt_runs(signum)
    raise KeyboardInterrupt


def children(pid: int) -> list[int]:
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


def alive(pid: int) -> bool:
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
