"""Execution faults during `nb2prod verify` and `convert`, each against a real kernel.

Each notebook is written here with one fault at cell 1 (id "c1"). For every fault the
command must name the cell (index and id) with a clear reason and exit with the documented
code, and afterwards: no process it started is alive, no `nb2prod-*` folder is left in its
TMPDIR, the notebook's own folder is byte-identical and nothing appeared in its working
directory. The commands run as subprocesses, two at a time (module fixture), so the whole
file takes about as long as its slowest runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.harness import CliRun, carrying, run_cli, tree_digest, wait_for
from tests.helpers import code, notebook, write

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="process accounting reads /proc"
)

UNVERIFIED = 4
FLOOD_LINES = 100_000  # 100,000 lines of 520 characters: 52 MB on stdout


@dataclass(frozen=True)
class Fault:
    cells: tuple[str, ...]
    args: tuple[str, ...] = ("--timeout", "60")
    command: str = "verify"
    stored: bool = True  # cells carry stored outputs (they "ran" when saved)


FAULTS = {
    "kernel-dies": Fault(("x = 1", "import os\nos._exit(1)", "y = x + 1")),
    "infinite-loop": Fault(("x = 1", "while True:\n    pass", "y = x + 1"), ("--timeout", "5")),
    "raises": Fault(("x = 1", "raise ValueError('boom in the notebook')", "y = x + 1")),
    "sys-exit": Fault(("x = 1", "import sys\nsys.exit()", "y = x + 1")),
    "raise-systemexit": Fault(("x = 1", "raise SystemExit(3)", "y = x + 1")),
    # the default 600 s timeout: input() must fail at once, not wait for it
    "stdin": Fault(("x = 1", "name = input('your name? ')", "y = x + len(name)"), ()),
    "kernel-dies-convert": Fault(
        ("x = 1", "import os\nos._exit(1)", "y = x + 1"), command="convert"
    ),
    "chdir-convert": Fault(
        ("import os", "os.chdir('/')", "where = os.getcwd()\nprint(where)"), command="convert"
    ),
    "writes-files": Fault(
        (
            "import os, tempfile\nx = 1",
            (
                "with open('out.txt', 'w') as f:\n    f.write('relative')\n"
                "os.makedirs('sub/dir', exist_ok=True)\n"
                "with open('sub/dir/deep.txt', 'w') as f:\n    f.write('deep')\n"
                "with open('data.csv', 'a') as f:\n    f.write('3\\n')"
            ),
            "with open('../beside-the-copy.txt', 'w') as f:\n    f.write('parent')",
            (
                "scratch = tempfile.mkdtemp(prefix='notebook-made-')\n"
                "with open(os.path.join(scratch, 't.txt'), 'w') as f:\n    f.write('tmp')"
            ),
            "with open(LITERAL, 'w') as f:\n    f.write('absolute')",
            "y = x + 1",
        )
    ),
    "flood": Fault(
        ("x = 1", f"for i in range({FLOOD_LINES}):\n    print('line', i, 'x' * 500)", "y = x + 1"),
        stored=False,
    ),
}


def _project(root: Path, name: str, fault: Fault) -> Path:
    project = root / name / "project"
    project.mkdir(parents=True)
    (project / "data.csv").write_text("1\n2\n")
    literal = root / name / "literal" / "abs.txt"
    literal.parent.mkdir()
    cells = [source.replace("LITERAL", repr(str(literal))) for source in fault.cells]
    write(
        project / "fault.ipynb",
        notebook(
            *(code(source, i + 1 if fault.stored else None) for i, source in enumerate(cells))
        ),
    )
    return project


@dataclass
class Outcome:
    run: CliRun
    project: Path
    cwd: Path
    before: dict[str, tuple[str, int]]
    literal: Path


def _run(root: Path, name: str, fault: Fault) -> Outcome:
    project = _project(root, name, fault)
    cwd = root / name / "cwd"
    cwd.mkdir()
    before = tree_digest(project)
    argv = [fault.command, str(project / "fault.ipynb"), *fault.args]
    if fault.command == "convert":
        argv += ["--out", "pkg", "--no-pin"]  # relative: it lands in the command's cwd
    run = run_cli(argv, cwd=cwd, tmpdir=root / name / "tmp", timeout=240)
    return Outcome(run, project, cwd, before, root / name / "literal" / "abs.txt")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    root = tmp_path_factory.mktemp("faults")
    with ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(_run, root, name, fault) for name, fault in FAULTS.items()}
        return {name: future.result() for name, future in futures.items()}


def _clean(outcome: Outcome, *, cwd_entries: tuple[str, ...] = ()) -> None:
    """Nothing alive, nothing left in TMPDIR, the project untouched, the cwd as expected."""
    run = outcome.run
    assert run.survivors == [], run.describe()
    assert run.leftovers == [], run.describe()
    assert tree_digest(outcome.project) == outcome.before
    assert sorted(p.name for p in outcome.cwd.iterdir()) == sorted(cwd_entries)
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.describe()


STOPS = {
    "kernel-dies": "DeadKernelError: the kernel process exited with code 1 while running this cell",
    "infinite-loop": "TimeoutError: the cell did not finish within 5 s; the kernel and its processes were killed",
    "raises": "ValueError: boom in the notebook",
    "sys-exit": "SystemExit: None (sys.exit() ends a top-to-bottom run: later cells did not run)",
    "raise-systemexit": "SystemExit: 3 (sys.exit() ends a top-to-bottom run",
    "stdin": "StdinNotImplementedError",
    "kernel-dies-convert": "DeadKernelError: the kernel process exited with code 1",
}


@pytest.mark.parametrize("name", list(STOPS))
def test_fault_names_the_cell_exits_unverified_and_leaves_nothing(
    name: str, outcomes: dict[str, Outcome]
) -> None:
    outcome = outcomes[name]
    run = outcome.run
    assert run.code == UNVERIFIED, run.describe()
    stop = next(
        (line for line in run.stdout.splitlines() if "the fresh run stopped at" in line), ""
    )
    assert stop.startswith("  the fresh run stopped at cell 1 (id 'c1'): " + STOPS[name]), (
        run.describe()
    )
    never = [line for line in run.stdout.splitlines() if "NB402 build_y(): " in line]
    assert len(never) == 1, run.describe()  # one finding for all its values
    assert "'y'" in never[0], never[0]
    assert never[0].endswith("unverified: the notebook's fresh run never reached this point")
    _clean(outcome, cwd_entries=("pkg",) if name.endswith("-convert") else ())


def test_timeout_stops_the_kernel_and_the_package_in_bounded_time(
    outcomes: dict[str, Outcome],
) -> None:
    run = outcomes["infinite-loop"].run
    assert "NB304 cell timed out after 5 s in the fresh run" in run.stdout
    # the notebook stops after 5 s; the package (the same endless loop) after 4 x 5 s
    assert run.seconds < 90, run.describe()


def test_input_fails_at_once_with_a_hint(outcomes: dict[str, Outcome]) -> None:
    run = outcomes["stdin"].run
    assert "input() and getpass() cannot be answered in a non-interactive run" in run.stdout
    assert run.seconds < 120, run.describe()  # far below the 600 s cell timeout


def test_convert_keeps_the_package_it_wrote_when_the_kernel_dies(
    outcomes: dict[str, Outcome],
) -> None:
    outcome = outcomes["kernel-dies-convert"]
    assert "wrote package 'fault'" in outcome.run.stdout
    report = outcome.cwd / "pkg" / "nb2prod-report.md"
    assert report.is_file() and "cell 1" in report.read_text()


def test_chdir_in_a_cell_stays_in_the_kernel(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["chdir-convert"]
    run = outcome.run
    assert run.code in (0, UNVERIFIED), run.describe()
    assert "the fresh run stopped" not in run.stdout
    # --out pkg was relative: the package and its report (written after the run) are in the
    # command's own working directory, which the kernel's chdir did not move
    assert (outcome.cwd / "pkg" / "nb2prod-report.md").is_file()
    _clean(outcome, cwd_entries=("pkg",))


def test_files_written_by_the_notebook_stay_in_the_scratch_copy(
    outcomes: dict[str, Outcome],
) -> None:
    outcome = outcomes["writes-files"]
    run = outcome.run
    assert run.code in (0, UNVERIFIED), run.describe()
    assert "the fresh run stopped" not in run.stdout
    # relative paths, '..' and tempfile all land in folders nb2prod removes: the project is
    # byte-identical (data.csv was appended to in the copies only), TMPDIR is empty
    _clean(outcome)
    assert sorted(p.name for p in (outcome.cwd.parent / "tmp").iterdir()) == []
    # a literal absolute path is written where it says: nb2prod isolates the working
    # directory, not the file system (NB111 flags absolute paths in `check`)
    assert outcome.literal.read_text() == "absolute"


def test_output_flood_is_bounded_in_memory(outcomes: dict[str, Outcome]) -> None:
    run = outcomes["flood"].run
    assert run.code == 0, run.describe()
    assert "1 equivalent" in run.stdout
    # 52 MB printed, twice (notebook and package): nb2prod keeps 1,000,000 characters of it
    # per stream and cell, and none of the package's stdout (about 110 MB of it is imports)
    assert run.own_peak_mb < 200, run.describe()
    assert run.tree_peak_mb < 500, run.describe()
    _clean(outcomes["flood"])


def test_ctrl_c_during_verify_stops_kernel_and_package_at_once(tmp_path: Path) -> None:
    project = _project(tmp_path, "ctrl-c", Fault(("x = 1", "while True:\n    pass", "y = x + 1")))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    sent: list[float] = []

    def interrupt(proc: subprocess.Popen[str], token: str) -> None:
        # once the kernel and the package run both spin in their endless loops
        def busy() -> bool:
            commands = [
                Path(f"/proc/{pid}/cmdline").read_bytes()
                for pid in carrying(token)
                if Path(f"/proc/{pid}/cmdline").exists()
            ]
            return any(b"ipykernel" in c for c in commands) and any(
                b"pipeline" in c for c in commands
            )

        if wait_for(busy, 120):
            import time

            time.sleep(2)  # into the endless cell
            sent.append(time.monotonic())
            os.kill(
                proc.pid, signal.SIGINT
            )  # not proc.send_signal: that polls, and the harness reaps

    run = run_cli(
        ["verify", str(project / "fault.ipynb"), "--timeout", "120"],
        cwd=cwd,
        tmpdir=tmp_path / "tmp",
        act=interrupt,
        timeout=200,
    )
    assert sent, run.describe()
    assert run.code == 130, run.describe()
    assert run.stderr.strip() == "nb2prod: interrupted", run.describe()
    assert run.seconds < 60, run.describe()  # not the 120 s timeout
    assert run.survivors == [] and run.leftovers == [], run.describe()
    assert sorted(p.name for p in cwd.iterdir()) == []


def test_verify_help_documents_the_fault_verdict_and_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from nb2prod.cli import main

    assert main(["verify", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "('the fresh run stopped at cell N (id ...)') and exits 4 (unverified)" in text
    assert "also on Ctrl-C (message, exit 130)" in text
