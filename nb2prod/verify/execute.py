"""Run a notebook top to bottom with papermill, in a view of its project nothing can write through.

This is the baseline of `nb2prod verify` (DESIGN.md, "Verification semantics"): a fresh
run, never the stored outputs. The original folder is never written: the kernel works in the
notebook's folder inside a view of its project root (`project`: an overlay whose writable
layer is in the run's scratch folder, or a copy), removed afterwards unless the caller asks
to keep a copy. The kernel and everything it started are always stopped (`kernel`,
`containment`), and what a run keeps of each cell's outputs is bounded (`output_limits`).
This module maps the executed cells back onto the notebook's.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nb2prod.core.errors import InternalError, KernelMissing
from nb2prod.notebook.load import PYTHON_LANGUAGES, load
from nb2prod.notebook.model import Notebook
from nb2prod.verify.containment import MARKER_VARIABLE
from nb2prod.verify.kernel import Outcome, Tracker, import_papermill, run_cells
from nb2prod.verify.project import View, open_view

INJECTED_TAG = "nb2prod-injected"
FALLBACK_KERNEL = "python3"
STATUSES = ("ok", "error", "timeout", "not-run")
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
    # set when the run's view made the cell fail, not the notebook: a file it names exists in
    # the project but the run could not see it ("unverified (data outside the copy): ...")
    unseen: str | None = None


@dataclass(frozen=True, slots=True)
class NotebookRun:
    """The fresh run of one notebook; never raised, the failure is a cell's status."""

    path: str  # the original notebook path
    cells: tuple[CellRun, ...]
    seconds: float  # kernel start, every cell, kernel shutdown
    kernel: str  # the kernelspec that ran the notebook (after any fallback)
    # files the run created or changed, relative to the notebook's folder ("../data/y.csv");
    # they went to the scratch folder, never to the user's
    workdir_files: tuple[str, ...]
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
    """Run the notebook top to bottom in a view of its project and report every cell.

    `inject` adds code cells (tagged `nb2prod-injected`) before original cell `i`
    (`i == len(cells)`: at the end); they are not reported, and a failure in one is
    reported against the original cell that follows it (or the last cell). With
    `keep_workdir` the run happens in a copy made in that (empty or new) folder, left in place.
    `cell_timeout` of None or 0 means no limit. Raises `InputError` when the notebook
    cannot be read or no kernel can run it.
    """
    name = os.fspath(path)
    import_papermill()
    notebook = load(name, require_python=False)
    _check_injections(inject, len(notebook.cells))
    kernel_name, notes = _resolve_kernel(notebook, kernel)
    source = Path(name).resolve()
    with tempfile.TemporaryDirectory(
        prefix="nb2prod-run-", ignore_cleanup_errors=True
    ) as state_dir:
        state = Path(state_dir)
        workdir = Path(keep_workdir).resolve() if keep_workdir is not None else None
        if workdir is not None and workdir.exists() and not _empty_folder(workdir):
            raise ValueError(f"keep_workdir {workdir} must be an empty folder or not exist")
        view = open_view(source, state, workdir=workdir, parsed=notebook)
        notes += view.notes
        token = secrets.token_hex(16)
        kernel_tmp = state / "tmp"
        kernel_tmp.mkdir()
        tracker = Tracker(
            total=len(notebook.cells),
            progress=progress,
            cell_timeout=cell_timeout or None,
            workdir=str(view.launch_dir),
            launch_prefix=view.prefix,
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

        write: Callable[[Any, str], None] = nbformat.write  # untyped in nbformat
        write(exec_nb, str(input_path))
        started = time.perf_counter()
        outcome = run_cells(name, input_path, output_path, kernel_name, tracker)
        seconds = time.perf_counter() - started
        created = view.created()
        cells = _unseen(_cell_runs(notebook, tracker, outcome, cell_timeout), view)
    if outcome.failure is None:
        tracker.report(len(notebook.cells))
    stop = next((c.index for c in cells if c.status in ("error", "timeout")), len(cells))
    skipped = [str(c.index) for c in cells if c.status == "not-run" and c.index < stop]
    if skipped:
        which = f"cell {skipped[0]} is" if len(skipped) == 1 else f"cells {', '.join(skipped)} are"
        notes.append(f"{which} tagged skip-execution and did not run")
    return NotebookRun(name, cells, seconds, kernel_name, created, tuple(notes))


def _empty_folder(folder: Path) -> bool:
    return folder.is_dir() and not any(folder.iterdir())


def _resolve_kernel(notebook: Notebook, requested: str | None) -> tuple[str, list[str]]:
    """Pick the kernelspec: the one asked for, else the notebook's, else python3 for Python."""
    from jupyter_client.kernelspec import KernelSpecManager

    installed = {n.lower(): n for n in KernelSpecManager().find_kernel_specs()}
    listing = ", ".join(sorted(installed.values())) or "none"
    if requested is not None:
        if requested.lower() in installed:
            return installed[requested.lower()], []
        raise KernelMissing(
            notebook.path,
            f"kernel {requested!r} is not installed (installed kernels: {listing}); "
            "install it or choose another kernel",
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
    raise KernelMissing(
        notebook.path,
        f"kernel {wanted or FALLBACK_KERNEL!r} ({notebook.language}) is not installed "
        f"(installed kernels: {listing}); install it, e.g. "
        "`python -m ipykernel install --sys-prefix --name python3`",
    )


# --- the notebook that runs ------------------------------------------------------------


def _check_injections(inject: Sequence[tuple[int, str]], count: int) -> None:
    for before, source in inject:
        if not isinstance(before, int) or not 0 <= before <= count:
            raise ValueError(f"inject position {before!r} is outside 0..{count}")
        if not isinstance(source, str):
            raise TypeError(f"inject source for position {before} is not a string")


def _execution_notebook(
    notebook: Notebook, inject: Sequence[tuple[int, str]], kernel_name: str, tracker: Tracker
) -> Any:
    """The notebook papermill runs: original cells plus injected ones, with ids we control."""
    from jupyter_client.kernelspec import KernelSpecManager
    from nbformat import v4

    new_cell: dict[str, Callable[..., Any]] = {  # untyped in nbformat
        "code": v4.new_code_cell,
        "markdown": v4.new_markdown_cell,
        "raw": v4.new_raw_cell,
    }
    new_notebook: Callable[..., Any] = v4.new_notebook

    before: dict[int, list[str]] = {}
    for position, source in inject:
        before.setdefault(position, []).append(source)
    cells: list[Any] = []

    def add(cell: Any, index: int, injected: bool) -> None:
        cell.id = f"nb2prod-{len(cells)}"
        tracker.slots[cell.id] = (index, injected, cell.metadata)
        cells.append(cell)

    for index in range(len(notebook.cells) + 1):
        for source in before.get(index, ()):
            add(new_cell["code"](source, metadata={"tags": [INJECTED_TAG]}), index, True)
        if index == len(notebook.cells):
            break
        cell = notebook.cells[index]
        metadata = _json_clean(dict(cell.metadata or {}))
        factory = new_cell.get(cell.cell_type, new_cell["raw"])
        add(factory(cell.source, metadata=metadata), index, False)
    metadata = _json_clean(dict(notebook.metadata or {}))
    metadata.pop("papermill", None)
    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    metadata["kernelspec"] = {
        "name": kernel_name,
        "display_name": spec.display_name,
        "language": spec.language,
    }
    nb = new_notebook(cells=cells, metadata=metadata)
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    return nb


def _json_clean(value: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-only copy (notebook metadata from text formats may hold other types)."""
    clean: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return clean


# --- the executed cells, mapped back --------------------------------------------------


def _cell_runs(
    notebook: Notebook, tracker: Tracker, outcome: Outcome, cell_timeout: float | None
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


def _unseen(cells: tuple[CellRun, ...], view: View) -> tuple[CellRun, ...]:
    """Mark the failed cell when the run's view, not the notebook, made it fail."""
    marked = []
    for cell in cells:
        why = view.fault(cell.error) if cell.status == "error" else None
        if why is not None:
            cell = replace(cell, error=f"{cell.error}; {why}", unseen=why)
        marked.append(cell)
    return tuple(marked)


def _failure_text(
    outcome: Outcome, tracker: Tracker, cell_timeout: float | None
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
