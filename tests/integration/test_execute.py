"""`nb2prod.verify.execute.run_notebook` against real kernels (no mocks).

Orphans are counted two ways: the processes under this test process, and every process
of this user whose environment carries a token the test passes to the kernel (children
inherit it, so it also finds processes that left the kernel's group or were orphaned).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from nb2prod.core.errors import InputError
from nb2prod.verify.execute import INJECTED_TAG, NotebookRun, run_notebook
from nb2prod.verify.project import overlay_disabled
from tests.faults.harness import carrying, tree_digest

DATA = Path(__file__).resolve().parents[1] / "data" / "execute"
TOKEN_VARIABLE = "NB2PROD_TEST_TOKEN"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process-group checks are POSIX")


# --- process accounting ----------------------------------------------------------------


def _descendants() -> set[int]:
    """Live processes whose parent chain leads to this test process."""
    try:
        import psutil
    except ImportError:
        return _descendants_from_proc()
    found = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.status() != psutil.STATUS_ZOMBIE:
                found.add(proc.pid)
        except psutil.Error:
            continue
    return found


def _descendants_from_proc() -> set[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != b"Z":
                parents[int(entry)] = int(fields[1])
    me, found = os.getpid(), set()
    for pid in parents:
        chain, seen = pid, set()
        while chain in parents and chain not in seen:
            seen.add(chain)
            chain = parents[chain]
            if chain == me:
                found.add(pid)
                break
    return found


def _carrying(token: str) -> set[int]:
    """Live processes of this user whose environment holds `NB2PROD_TEST_TOKEN=<token>`."""
    return set(carrying(token, TOKEN_VARIABLE))


class Orphans:
    """Baseline before a run; `assert_none` after it."""

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex
        self.env = {TOKEN_VARIABLE: self.token}
        self.baseline = _descendants()

    def assert_none(self) -> None:
        deadline = time.monotonic() + 2  # the run waits for its kills; this is only slack
        while True:
            extra, marked = _descendants() - self.baseline, _carrying(self.token)
            if (not extra and not marked) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert not marked, f"processes of the run still alive: {_describe(marked)}"
        assert not extra, f"new processes under the test process: {_describe(extra)}"


def _describe(pids: set[int]) -> list[str]:
    out = []
    for pid in sorted(pids):
        try:
            out.append(
                f"{pid}: " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            )
        except OSError:
            out.append(str(pid))
    return out


needs_proc = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")


def _statuses(run: NotebookRun) -> list[str]:
    return [c.status for c in run.cells]


def _text(outputs: tuple[object, ...]) -> str:
    parts = []
    for output in outputs:
        assert isinstance(output, dict)
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            parts.append(output["data"]["text/plain"])
    return "".join(parts)


# --- runs that finish --------------------------------------------------------------------


@needs_proc
def test_linear_notebook_reports_every_cell_by_original_index() -> None:
    orphans = Orphans()
    calls: list[tuple[int, int]] = []
    run = run_notebook(
        DATA / "linear.ipynb",
        env={**orphans.env, "NB2PROD_TEST_VALUE": "seen"},
        progress=lambda done, total: calls.append((done, total)),
    )
    assert [(c.index, c.cell_id) for c in run.cells] == [(i, f"c{i}") for i in range(7)]
    assert _statuses(run) == ["ok"] * 7
    assert run.failed is None
    assert _text(run.cells[1].outputs) == "hello\n"
    assert run.cells[3].outputs[0]["output_type"] == "execute_result"
    assert _text(run.cells[3].outputs) == "42"
    assert _text(run.cells[5].outputs) == "Agg seen\n"  # MPLBACKEND by default, env passed
    assert [c.outputs for c in run.cells if c.index in (0, 2, 4, 6)] == [()] * 4
    assert run.cells[0].seconds is None and run.cells[3].seconds is not None
    assert run.kernel == "python3" and run.notes == () and run.seconds > 0
    assert run.path == str(DATA / "linear.ipynb")
    assert calls[-1] == (7, 7)
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})
    orphans.assert_none()  # the `sleep` the notebook left running was stopped


def test_failing_cell_is_error_and_later_cells_not_run() -> None:
    run = run_notebook(DATA / "error.ipynb")
    assert _statuses(run) == ["ok", "ok", "error", "not-run", "not-run"]
    failed = run.failed
    assert failed is not None and (failed.index, failed.cell_id) == (2, "c2")
    assert failed.error == "ZeroDivisionError: division by zero"
    assert any(
        o["output_type"] == "error" and o["ename"] == "ZeroDivisionError" for o in failed.outputs
    )
    assert run.cells[3].outputs == () and run.cells[3].error is None


@needs_proc
def test_timeout_kills_the_kernel_and_its_whole_process_tree() -> None:
    orphans = Orphans()
    started = time.monotonic()
    run = run_notebook(DATA / "timeout.ipynb", cell_timeout=3, env=orphans.env)
    elapsed = time.monotonic() - started
    assert _statuses(run) == ["ok", "timeout", "not-run"]
    assert run.failed is not None and run.failed.index == 1
    assert "3 s" in (run.failed.error or "")
    assert elapsed < 3 + 20, elapsed
    orphans.assert_none()


def test_injected_cells_run_in_the_kept_workdir_and_do_not_shift_indices(tmp_path: Path) -> None:
    workdir = tmp_path / "scratch"
    inject = [
        (0, "open('captured-start.txt', 'w').write('start')"),
        (2, "open('captured-x.txt', 'w').write(repr(x))"),
        (2, "print('injected output is not reported')"),
        (4, "open('captured-y.txt', 'w').write(repr(y))"),
    ]
    run = run_notebook(DATA / "inject.ipynb", inject=inject, keep_workdir=workdir)
    assert [(c.index, c.cell_id) for c in run.cells] == [(i, f"c{i}") for i in range(4)]
    assert _statuses(run) == ["ok"] * 4
    assert _text(run.cells[2].outputs) == "2"
    assert _text(run.cells[3].outputs) == "2\n"
    assert not any("injected" in _text(c.outputs) for c in run.cells)
    assert (workdir / "captured-start.txt").read_text() == "start"
    assert (workdir / "captured-x.txt").read_text() == "1"
    assert (workdir / "captured-y.txt").read_text() == "2"
    assert (workdir / "inject.ipynb").is_file()  # the folder copy is left in place
    assert run.workdir_files == ("captured-start.txt", "captured-x.txt", "captured-y.txt")
    assert INJECTED_TAG not in (workdir / "inject.ipynb").read_text()
    assert not list(DATA.glob("captured-*"))


@pytest.mark.parametrize(
    ("before", "expected"),
    [(2, ["ok", "ok", "error", "not-run"]), (4, ["ok", "ok", "ok", "error"])],
    ids=["before-cell-2", "at-the-end"],
)
def test_failing_injected_cell_is_reported_against_the_next_original_cell(
    before: int, expected: list[str]
) -> None:
    run = run_notebook(
        DATA / "inject.ipynb", inject=[(before, "raise ValueError('capture failed')")]
    )
    assert _statuses(run) == expected
    failed = run.failed
    assert failed is not None and failed.index == min(before, 3)
    assert (failed.error or "").startswith("ValueError: capture failed")
    assert "injected" in (failed.error or "")


def test_original_folder_is_unchanged_and_written_files_are_listed(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    shutil.copy(DATA / "writes_files.ipynb", project / "analysis.ipynb")
    (project / "data" / "input.csv").write_text("1\n2\n")
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (project / ".ipynb_checkpoints").mkdir()
    (project / ".ipynb_checkpoints" / "analysis-checkpoint.ipynb").write_text("{}")
    (project / "venv" / "lib").mkdir(parents=True)
    (project / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (project / "outside.txt").symlink_to(project / "data" / "input.csv")
    before = tree_digest(project)

    run = run_notebook(project / "analysis.ipynb")

    assert _statuses(run) == ["ok", "ok"], run.cells
    assert tree_digest(project) == before
    assert sorted(p.name for p in project.iterdir()) == [
        ".git",
        ".ipynb_checkpoints",
        "analysis.ipynb",
        "data",
        "outside.txt",
        "venv",
    ]
    # the run sees the project through an overlay, tooling folders included (nothing is
    # copied); the copy fallback (NB2PROD_NO_OVERLAY=1) leaves them out
    seen = "False False False\n" if overlay_disabled() else "True True True\n"
    assert _text(run.cells[0].outputs) == seen
    cwd = Path(_text(run.cells[1].outputs).strip())
    assert cwd != project and cwd.name == "work"
    assert not cwd.exists()  # the scratch folder is removed after the run
    assert run.workdir_files == ("data/input.csv", "results/out.csv")


def test_cell_tags_nbclient_honours_are_reported() -> None:
    run = run_notebook(DATA / "tags.ipynb")
    assert _statuses(run) == ["ok", "not-run", "ok"]  # an expected error; a skipped cell
    assert run.failed is None
    assert run.cells[0].outputs[0]["ename"] == "ZeroDivisionError"
    assert _text(run.cells[2].outputs) == "ran\n"
    assert any("cell 1 is tagged skip-execution" in note for note in run.notes)


def test_runs_from_worker_threads_at_the_same_time() -> None:
    results: dict[str, NotebookRun] = {}
    threads = [
        threading.Thread(target=lambda n=n: results.__setitem__(n, run_notebook(DATA / n)))
        for n in ("error.ipynb", "inject.ipynb")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert _statuses(results["error.ipynb"]) == ["ok", "ok", "error", "not-run", "not-run"]
    assert _statuses(results["inject.ipynb"]) == ["ok"] * 4


# --- runs that stop early ----------------------------------------------------------------


@needs_proc
def test_kernel_death_names_the_cell_and_leaves_no_orphan() -> None:
    orphans = Orphans()
    run = run_notebook(DATA / "kernel_dies.ipynb", env=orphans.env)
    assert _statuses(run) == ["ok", "error", "not-run"]
    failed = run.failed
    assert failed is not None and (failed.index, failed.cell_id) == (1, "c1")
    assert (failed.error or "").startswith("DeadKernelError:")
    assert "code 1" in (failed.error or "")
    orphans.assert_none()


def test_sys_exit_stops_the_run_at_that_cell() -> None:
    run = run_notebook(DATA / "sys_exit_v3.ipynb")
    assert [c.cell_id for c in run.cells] == ["cell-0", "cell-1", "cell-2", "cell-3"]
    assert _statuses(run) == ["ok", "error", "not-run", "not-run"]
    assert _text(run.cells[0].outputs) == "before\n"
    assert (run.cells[1].error or "").startswith("SystemExit")
    assert "later cells did not run" in (run.cells[1].error or "")
    assert run.kernel == "python3" and "names no kernel" in run.notes[0]


def test_input_is_a_clear_error_not_a_hang() -> None:
    started = time.monotonic()
    run = run_notebook(DATA / "stdin.ipynb", cell_timeout=60)
    assert time.monotonic() - started < 30
    assert _statuses(run) == ["error", "not-run"]
    error = run.cells[0].error or ""
    assert error.startswith("StdinNotImplementedError") and "input()" in error


def test_missing_python2_kernel_falls_back_to_python3_for_a_text_notebook() -> None:
    run = run_notebook(DATA / "python2_percent.py")
    assert run.kernel == "python3"
    assert any("'python2' is not installed" in note for note in run.notes)
    assert _statuses(run) == ["ok", "ok"]
    assert _text(run.cells[1].outputs) == "3\n"


@needs_proc
def test_ctrl_c_during_a_cell_stops_the_kernel_and_raises_keyboard_interrupt(
    tmp_path: Path,
) -> None:
    token = uuid.uuid4().hex
    script = tmp_path / "interrupt.py"
    script.write_text(
        textwrap.dedent(f"""
        import os, signal, threading
        from nb2prod.verify.execute import run_notebook

        def progress(done, total):
            if done == 1:  # the endless cell starts: interrupt it a moment later
                threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()

        try:
            run_notebook({str(DATA / "timeout.ipynb")!r}, cell_timeout=120, progress=progress,
                         env={{{TOKEN_VARIABLE!r}: {token!r}}})
        except KeyboardInterrupt:
            print("interrupted", signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    """)
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.stdout.strip() == "interrupted True", done.stderr[-2000:]
    assert not _carrying(token), _describe(_carrying(token))


# --- refused before any kernel starts ------------------------------------------------------


def test_explicit_kernel_that_is_not_installed_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        run_notebook(DATA / "inject.ipynb", kernel="no-such-kernel")
    assert caught.value.kind == "kernel-missing"
    assert "no-such-kernel" in caught.value.message and "python3" in caught.value.message


def test_non_python_notebook_without_its_kernel_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        run_notebook(DATA / "r_kernel.ipynb")
    assert caught.value.kind == "kernel-missing"
    assert "'ir'" in caught.value.message


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"outside 0\.\.4"):
        run_notebook(DATA / "inject.ipynb", inject=[(5, "pass")])
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    with pytest.raises(ValueError, match="empty folder"):
        run_notebook(DATA / "inject.ipynb", keep_workdir=tmp_path / "busy")


def test_scratch_copy_skips_tooling_folders_and_keeps_links_working(tmp_path: Path) -> None:
    from nb2prod.verify.sandbox import copy_notebook_folder as _copy_folder

    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    for folder in ("src/pkg", ".git", "node_modules/x", "env/bin", "sub/.ipynb_checkpoints"):
        (project / folder).mkdir(parents=True)
    elsewhere.mkdir()
    (project / "nb.ipynb").write_text("{}")
    (project / "src" / "pkg" / "mod.py").write_text("X = 1\n")
    (project / "node_modules" / "x" / "index.js").write_text("")
    (project / "env" / "pyvenv.cfg").write_text("")
    (project / "sub" / ".ipynb_checkpoints" / "a.ipynb").write_text("{}")
    (elsewhere / "big.csv").write_text("a\n")
    (project / "data.csv").symlink_to(elsewhere / "big.csv")
    (project / "pkg").symlink_to("src/pkg")

    copy = tmp_path / "copy"
    assert _copy_folder(project / "nb.ipynb", copy) == []
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*")) == [
        "data.csv",
        "nb.ipynb",
        "pkg",
        "src",
        "src/pkg",
        "src/pkg/mod.py",
        "sub",
    ]
    assert (copy / "data.csv").read_text() == "a\n"
    assert (copy / "pkg").resolve() == (
        copy / "src" / "pkg"
    ).resolve()  # into the copy, not the original


def test_scratch_copy_of_a_huge_folder_is_only_the_notebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nb2prod.verify import sandbox

    monkeypatch.setattr(sandbox, "COPY_LIMIT_BYTES", 10)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "nb.ipynb").write_text("{}")
    (tmp_path / "project" / "data.bin").write_bytes(b"x" * 100)
    notes = sandbox.copy_notebook_folder(tmp_path / "project" / "nb.ipynb", tmp_path / "copy")
    assert [p.name for p in (tmp_path / "copy").iterdir()] == ["nb.ipynb"]
    assert len(notes) == 1 and "only the notebook was copied" in notes[0]


# --- what a run keeps ---------------------------------------------------------------------


def test_a_flooding_cell_keeps_a_bounded_head_and_counts_the_rest(tmp_path: Path) -> None:
    from nb2prod.verify.output_limits import STREAM_LIMIT, cap_outputs
    from nb2prod.verify.outputs import compare_outputs
    from tests.helpers import code, notebook, write

    lines = 30_000  # 3 MB of stdout, 3 times the limit; a little stderr beside it
    source = f"import sys\nfor i in range({lines}):\n    print(f'{{i:08d}}', 'x' * 90)\nprint('end', file=sys.stderr)"
    run = run_notebook(write(tmp_path / "flood.ipynb", notebook(code(source))))
    outputs = run.cells[0].outputs
    stdout = "".join(
        o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == "stdout"
    )
    full = "".join(f"{i:08d} {'x' * 90}\n" for i in range(lines))
    assert stdout.startswith(full[:STREAM_LIMIT])
    dropped = len(full) - STREAM_LIMIT
    assert stdout[STREAM_LIMIT:] == (
        f"\n[nb2prod: {dropped:,} more characters of stdout not kept "
        f"(limit {STREAM_LIMIT:,} per cell)]\n"
    )
    assert any(
        o["output_type"] == "stream" and o["name"] == "stderr" and o["text"] == "end\n"
        for o in outputs
    )
    # a stored notebook holding the whole output compares alike once capped the same way
    stored = [
        {"output_type": "stream", "name": "stdout", "text": full},
        {"output_type": "stream", "name": "stderr", "text": "end\n"},
    ]
    assert compare_outputs(cap_outputs(stored), outputs).same
    assert not compare_outputs(stored, outputs).same
    assert cap_outputs(stored[1:]) == stored[1:]  # under the limit: unchanged


def test_temporary_files_of_the_notebook_stay_in_the_run(tmp_path: Path) -> None:
    from tests.helpers import code, notebook, write

    source = (
        "import tempfile, os\nfolder = tempfile.mkdtemp(prefix='nb-made-')\n"
        "open(os.path.join(folder, 'x'), 'w').write('x')\nprint(folder)"
    )
    run = run_notebook(write(tmp_path / "tmp.ipynb", notebook(code(source))))
    made = Path(_text(run.cells[0].outputs).strip())
    assert made.name.startswith("nb-made-") and made.parent.name == "tmp"
    assert made.parent.parent.name.startswith("nb2prod-run-")  # the run's own folder
    assert not made.exists() and not made.parent.parent.exists()
