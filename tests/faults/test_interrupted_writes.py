"""Interrupted and concurrent writes of `nb2prod convert --no-verify`, as real subprocesses.

The output folder must always hold the previous package (from notebook A) or the new one
(from notebook B), byte for byte, never a mix and never a half-written file:

- at every step of the write (the `NB2PROD_WRITE_TRACE` hook pauses after each step and
  names it in a file, so the signal lands exactly there), for SIGINT and SIGKILL;
- at delays spread over a whole run without the hook;
- with several converts writing to the same folder at once.

SIGINT must also print one line, exit 130 and leave no temporary folder; after SIGKILL the
next convert removes what the killed one left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from nb2prod.convert.write import TRACE_STOP_VARIABLE, TRACE_VARIABLE
from tests.faults.harness import CliRun, run_cli, tree_bytes, wait_for
from tests.helpers import code, md, notebook, write

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 and /proc")

# A reads a file (a data module B does not have); B has more functions: file lists differ too
A = notebook(
    md("# Prices"),
    code("rate = 0.2", 1),
    code("with open('base.txt') as f:\n    base = float(f.read())", 2),
    code("price = base * (1 + rate)", 3),
    code("print(price)", 4),
)
B = notebook(
    md("# Prices, revised"),
    code("rate = 0.25\ndiscount = 5", 1),
    code("def net(value):\n    return value - discount", 2),
    code("price = net(100 * (1 + rate))", 3),
    code("label = f'{price:.2f} EUR'", 4),
    code("print(label)", 5),
)


@dataclass(frozen=True)
class Trees:
    project: Path
    previous: dict[str, bytes]  # the package from A
    new: dict[str, bytes]  # the package from B
    steps: tuple[str, ...]  # what the write of B does, in order (from the trace hook)


def _convert(which: str, out: Path, project: Path, tmpdir: Path, **kw: object) -> CliRun:
    return run_cli(
        [
            "convert",
            str(project / f"{which}.ipynb"),
            "--out",
            str(out),
            "--name",
            "prices",
            "--no-verify",
            "--no-pin",
        ],
        cwd=out.parent,
        tmpdir=tmpdir,
        timeout=120,
        **kw,
    )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Trees:
    root = tmp_path_factory.mktemp("writes")
    project = root / "project"
    project.mkdir()
    write(project / "a.ipynb", A)
    write(project / "b.ipynb", B)
    out = root / "reference" / "out"
    out.parent.mkdir()
    first = _convert("a", out, project, root / "tmp")
    assert first.code == 0, first.describe()
    previous = tree_bytes(out)
    trace = root / "trace.txt"
    second = _convert("b", out, project, root / "tmp", env={TRACE_VARIABLE: str(trace)})
    assert second.code == 0, second.describe()
    new = tree_bytes(out)
    assert previous != new and set(previous) != set(new)  # contents and file lists both differ
    assert "src/prices/data.py" in previous and "src/prices/data.py" not in new
    steps = tuple(_steps(trace))
    assert steps[:3] == ("waiting", "locked", "staging") and steps[-2:] == ("swapped", "done")
    assert [s for s in steps if s.startswith("file ")] == [f"file {p}" for p in sorted(_files(new))]
    return Trees(project, previous, new, steps)


def _trace_lines(trace: Path) -> list[tuple[str, str]]:
    """(pid, step) per line of a write trace."""
    return [tuple(line.split(" ", 1)) for line in trace.read_text().splitlines()]  # type: ignore[misc]


def _steps(trace: Path) -> list[str]:
    return [step for _, step in _trace_lines(trace)]


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _lay_down(tree: dict[str, bytes], out: Path) -> None:
    for relative, content in tree.items():
        path = out / relative.rstrip("/")
        if relative.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)


def _state(pid: int) -> str:
    """The process's state letter (R, S, T stopped, Z zombie), or "" when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return ""


def _interrupted_at(trees: Trees, root: Path, step: int, signum: int) -> tuple[CliRun, Path]:
    """Lay the previous package down, convert B, send `signum` right after the write's step `step`.

    The hook stops the writer (SIGSTOP) after each step; this resumes it step by step and
    sends the signal at the chosen one, so where it lands does not depend on the machine's load.
    """
    out = root / "out"
    _lay_down(trees.previous, out)
    trace = root / "trace.txt"

    def at_step(proc: subprocess.Popen[str], token: str) -> None:
        # os.kill, not proc.send_signal: that polls, and the harness alone reaps the process
        while wait_for(lambda: _state(proc.pid) in ("T", "Z", ""), 60, step=0.005):
            if _state(proc.pid) != "T":
                return
            if len(_steps(trace)) == step + 1:
                os.kill(proc.pid, signum)  # pending until the writer continues (SIGKILL: at once)
            os.kill(proc.pid, signal.SIGCONT)
            wait_for(lambda: _state(proc.pid) != "T", 10, step=0.005)

    run = _convert(
        "b",
        out,
        trees.project,
        root / "tmp",
        env={TRACE_VARIABLE: str(trace), TRACE_STOP_VARIABLE: "1"},
        act=at_step,
    )
    return run, out


# the step index after which the signal lands -> which package the output must then hold
def _cases(steps: tuple[str, ...]) -> list[tuple[int, str]]:
    files = [i for i, s in enumerate(steps) if s.startswith("file ")]
    chosen = [
        steps.index("locked"),
        steps.index("staging"),
        files[0],
        files[len(files) // 2],
        files[-1],
        steps.index("swapped"),
        steps.index("done"),
    ]
    return [(i, "new" if i >= steps.index("swapped") else "previous") for i in chosen]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_signal_at_any_step_leaves_the_previous_package_or_the_new_one(
    signum: int, trees: Trees, tmp_path: Path
) -> None:
    cases = _cases(trees.steps)
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(_interrupted_at, trees, tmp_path / f"step-{i}", i, signum) for i, _ in cases
        ]
        results = [f.result() for f in futures]
    for (step, expected), (run, out) in zip(cases, results, strict=False):
        where = f"{signal.Signals(signum).name} after step {step} ({trees.steps[step]})"
        got = tree_bytes(out)
        assert got == (trees.new if expected == "new" else trees.previous), (
            f"{where}\n{run.describe()}"
        )
        if signum == signal.SIGINT:
            assert run.code == 130, f"{where}\n{run.describe()}"
            assert run.stderr.strip() == "nb2prod: interrupted", f"{where}\n{run.describe()}"
            assert _siblings(out) == [], where
            assert run.leftovers == [], f"{where}\n{run.describe()}"
        else:
            assert run.code == -signal.SIGKILL, f"{where}\n{run.describe()}"
            # the killed process could not remove its (empty) session folder; the next run does
            assert all(n.startswith("nb2prod-session-") for n in run.leftovers), run.describe()
        assert run.survivors == [], f"{where}\n{run.describe()}"

    if signum == signal.SIGKILL:
        # killed writers leave hidden siblings; the next convert to that folder removes them
        run, out = results[
            cases.index(next(c for c in cases if trees.steps[c[0]].startswith("file ")))
        ]
        assert _siblings(out), "a write killed halfway leaves its staging folder"
        assert run.leftovers, "a killed run leaves its session folder"
        again = _convert("b", out, trees.project, out.parent / "tmp")  # the killed run's TMPDIR
        assert again.code == 0, again.describe()
        assert tree_bytes(out) == trees.new and _siblings(out) == []
        assert again.leftovers == [], again.describe()


def test_signals_at_random_moments_of_a_whole_run(trees: Trees, tmp_path: Path) -> None:
    """No hook: signals spread over a run (start-up, planning, rendering, writing, exit)."""
    reference = tmp_path / "timing" / "out"
    reference.parent.mkdir()
    _lay_down(trees.previous, reference)
    timed = _convert("b", reference, trees.project, tmp_path / "timing" / "tmp")
    assert timed.code == 0, timed.describe()
    delays = [timed.seconds * f for f in (0.3, 0.6, 0.8, 0.9, 0.95, 1.0)]
    trials = [(d, s) for d in delays for s in (signal.SIGINT, signal.SIGKILL)]

    def trial(index: int, delay: float, signum: int) -> tuple[CliRun, Path]:
        root = tmp_path / f"trial-{index}"
        out = root / "out"
        _lay_down(trees.previous, out)

        def later(proc: subprocess.Popen[str], token: str) -> None:
            time.sleep(delay)
            with contextlib.suppress(ProcessLookupError):  # the run may be over already
                os.kill(proc.pid, signum)  # not proc.send_signal: that polls, and the harness reaps

        return _convert("b", out, trees.project, root / "tmp", act=later), out

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda t: trial(t[0], *t[1]), enumerate(trials)))
    outcomes = []
    for (delay, signum), (run, out) in zip(trials, results, strict=False):
        got = tree_bytes(out)
        where = (
            f"{signal.Signals(signum).name} after {delay:.2f} s: exit {run.code}\n{run.describe()}"
        )
        assert got in (trees.previous, trees.new), where
        assert run.code in (0, 130, -signal.SIGKILL), where
        if signum == signal.SIGINT:
            assert _siblings(out) == [] and run.leftovers == [], where
            assert run.code == 0 or run.stderr.strip() == "nb2prod: interrupted", where
        assert run.survivors == [], where
        outcomes.append("new" if got == trees.new else "previous")
    assert "previous" in outcomes  # the early signals did stop runs before they wrote


def test_concurrent_converts_to_one_folder_take_turns(trees: Trees, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _lay_down(trees.previous, out)
    trace = tmp_path / "trace.txt"  # shared: appends from the three writers interleave by time
    which = ["b", "a", "b"]
    all_waiting = threading.Barrier(3, timeout=120)

    def together(proc: subprocess.Popen[str], token: str) -> None:
        # hold each writer at its first step ("waiting", before the lock) until all three are
        # there, then let them all go at once and keep resuming whoever stops after a step
        first = True
        while wait_for(lambda: _state(proc.pid) in ("T", "Z", ""), 120, step=0.005):
            if _state(proc.pid) != "T":
                return
            if first:
                all_waiting.wait()
                first = False
            os.kill(proc.pid, signal.SIGCONT)
            wait_for(lambda: _state(proc.pid) != "T", 10, step=0.005)

    with ThreadPoolExecutor(3) as pool:
        runs = list(
            pool.map(
                lambda i: _convert(
                    which[i],
                    out,
                    trees.project,
                    tmp_path / f"tmp-{i}",
                    act=together,
                    env={TRACE_VARIABLE: str(trace), TRACE_STOP_VARIABLE: "1"},
                ),
                range(3),
            )
        )
    for run in runs:
        assert run.code == 0, run.describe()
        assert run.survivors == [] and run.leftovers == [], run.describe()
    assert _siblings(out) == []
    lines = _trace_lines(trace)
    first_done = next(i for i, (_, step) in enumerate(lines) if step == "done")
    assert (
        sum(step == "waiting" for _, step in lines[:first_done]) == 3
    )  # all three wanted the folder at once
    # each writer's steps from "locked" to "done" form one block: the others only wait meanwhile
    holder = None
    order = []
    for pid, step in lines:
        if step == "locked":
            assert holder is None, lines
            holder = pid
            order.append(pid)
        elif step != "waiting":
            assert pid == holder, lines
            if step == "done":
                holder = None
    assert len(order) == 3 and holder is None
    # the folder holds the last writer's package, whole (its trace names the files it wrote)
    last_files = {step[5:] for pid, step in lines if pid == order[-1] and step.startswith("file ")}
    expected = trees.new if last_files == _files(trees.new) else trees.previous
    assert last_files == _files(expected)
    assert tree_bytes(out) == expected


def _files(tree: dict[str, bytes]) -> set[str]:
    return {f for f in tree if not f.endswith("/")}
