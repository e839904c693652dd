"""The generated package's pipeline, run with capture beside the notebook's fresh run.

It runs on its own thread, in its own view of the notebook's project (`project.open_view`: an
overlay or a copy, nothing of the user's written), as a child process in its own session
(`programs/run_pipeline.py`, which also ends with nb2prod); its output goes to files and only
the end of its stderr is read back, so a flood is not kept.

It starts where a user runs the package: in the project root its relative paths start from
(`plan.base_dir`, with the default `Config.base_dir` of "."), inside the view. The notebook's
path dependencies (local packages it imports that are meant to be installed) are importable
from where the run sees their sources, as they were to the notebook through `sys.path`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nb2prod.convert.plan import Plan
from nb2prod.verify.capture import Captured, package_run_command, read_captures
from nb2prod.verify.project import View, open_view

_STDERR_TAIL = 65536  # bytes of stderr read back for the error line
# "ValueError: ...", "pkg.errors.BadInput: ...", "KeyboardInterrupt": a traceback's last word
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b(?::.*)?$")


@dataclass(slots=True)
class PackageRun:
    """One run of the package's pipeline on a thread; `error`, `captured`, `seconds` once joined."""

    plan: Plan
    package_dir: Path
    notebook: Path
    capture_dir: Path
    timeout: float | None
    process: subprocess.Popen[bytes] | None = None
    error: str | None = None  # the last line of stderr when it failed, or the timeout
    captured: Captured | None = None  # read back on the thread, off the critical path
    seconds: float = 0.0
    thread: threading.Thread | None = field(default=None, init=False)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout=timeout)

    def stop(self) -> None:
        """Kill the run if it still goes; its thread then removes its scratch folder."""
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        self.join(timeout=30)

    def _run(self) -> None:
        start = time.perf_counter()
        code, tail = run_in_view(
            self.plan,
            self.package_dir,
            self.notebook,
            package_run_command(self.plan),
            self.timeout,
            prefix="nb2prod-package-",
            env={"NB2PROD_CAPTURE_DIR": str(self.capture_dir)},
            started=self._started,
        )
        if code is None:
            self.error = f"timed out after {self.timeout:g} s"
        elif code:
            self.error = failure_message(self.plan, self.capture_dir, tail) or f"exit code {code}"
        # read back now, while the notebook still runs: unpickling imports pandas,
        # scikit-learn... here, off the critical path, instead of after both runs
        self.captured = read_captures(self.capture_dir)
        self.seconds = time.perf_counter() - start

    def _started(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process  # verify() kills it if it stops early


def run_in_view(
    plan: Plan,
    package_dir: Path,
    notebook: Path,
    argv: list[str],
    timeout: float | None,
    *,
    prefix: str,
    env: dict[str, str],
    started: Callable[[subprocess.Popen[bytes]], None],
) -> tuple[int | None, str]:
    """Run `argv` with the package importable, in a fresh view of the notebook's project and a
    session of its own (killed whole on timeout): its exit code (None: timed out) and the tail
    of its stderr. `started` gets the process, so that the caller can stop it early."""
    with tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as tmp:
        view = open_view(notebook, Path(tmp), start=plan.base_dir)
        child_env = {
            **os.environ,
            **package_environment(plan, package_dir, view, Path(tmp)),
            "MPLBACKEND": "Agg",
            "PYTHONHASHSEED": "0",
            "NB2PROD_PARENT_PID": str(os.getpid()),  # programs/parent_death.py
            **env,
        }
        with open(Path(tmp) / "stderr", "w+b") as err:
            proc = subprocess.Popen(
                [*view.prefix, *argv],
                cwd=view.launch_dir,
                env=child_env,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
                stdin=subprocess.DEVNULL,
            )
            started(proc)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return None, ""
            err.seek(max(0, err.seek(0, os.SEEK_END) - _STDERR_TAIL))
            return proc.returncode, err.read().decode("utf-8", "replace")


def package_environment(plan: Plan, package_dir: Path, view: View, scratch: Path) -> dict[str, str]:
    """PYTHONPATH for a run of the package: its `src/`, then its path dependencies' sources.

    A source folder the view shows is imported from there, so what Python writes beside it
    lands in the view's scratch layer; one outside the view is imported in place, with
    bytecode cached in the scratch folder instead of beside the user's files.
    """
    paths = [str(package_dir / "src")]
    outside = False
    for root in plan.local.source_roots:
        seen = view.inside(Path(root))
        outside = outside or seen is None
        paths.append(str(seen or root))
    env = {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}
    if outside:
        env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    return env


def failure_message(plan: Plan, capture_dir: Path, stderr_tail: str) -> str | None:
    """The exception's type and message, with the generated function and its notebook cells.

    `programs/run_pipeline.py` records the exception it died of; without that record (killed,
    or it failed before the pipeline started) the last exception line of stderr is used.
    """
    try:
        record = json.loads((capture_dir / "failure.json").read_text("utf-8"))
    except (OSError, ValueError):
        return _exception_line(stderr_tail)
    text = f"{record.get('type')}: {record.get('message')}".rstrip(": ")
    function = next((f for f in plan.functions if f.name == record.get("function")), None)
    if function is not None:
        cells = ", ".join(str(c) for c in function.cells)
        text += f" in {function.name}() ({function.module}.py line {record.get('line')}; "
        text += f"notebook cell{'s' if len(function.cells) > 1 else ''} {cells})"
    elif record.get("file"):
        text += f" ({record.get('file')} line {record.get('line')})"
    return text


def _exception_line(stderr_tail: str) -> str | None:
    """The last unindented line of a traceback's end that names an exception, else the last line."""
    lines = [line for line in stderr_tail.strip().splitlines() if line.strip()]
    named = next((line for line in reversed(lines) if _EXCEPTION_LINE.match(line)), None)
    return named or (lines[-1] if lines else None)
