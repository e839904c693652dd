"""Run `nb2prod` as a real subprocess and account for everything it leaves behind.

Each run gets its own TMPDIR (so `nb2prod-*` folders left behind are counted exactly, even
with other nb2prod runs on the machine) and a token in its environment that every process
it starts inherits. After it exits:

- survivors: live processes carrying the token (children inherit the environment, so this
  finds orphans wherever they were reparented), plus live processes adopted by this test
  process, which is a child subreaper for the duration of the run (Linux `prctl`);
- leftovers: entries of the run's TMPDIR whose names start with `nb2prod-`;
- peak memory: the largest resident size of the nb2prod process itself (`wait4`) and the
  largest sum over the nb2prod process and all its descendants, sampled every 50 ms.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
TOKEN_VARIABLE = "NB2PROD_FAULT_TEST"
_PR_SET_CHILD_SUBREAPER = 36


@dataclass
class CliRun:
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float
    own_peak_mb: float  # the nb2prod process alone, its VmHWM (see own_peak)
    tree_peak_mb: float  # nb2prod and its descendants together, sampled
    survivors: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"nb2prod {' '.join(self.argv)} -> {self.code} in {self.seconds:.1f} s\n"
            f"--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"
        )


_LOCK = threading.Lock()
_ACTIVE: set[int] = set()  # nb2prod processes of runs in progress (runs may overlap)
_REAPING = [0]  # runs in progress; this process is a subreaper while any is


def _set_subreaper(on: bool) -> None:
    with _LOCK:
        _REAPING[0] += 1 if on else -1
        if _REAPING[0] == int(on):  # the first run starting, or the last one ending
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)


def carrying(token: str, variable: str = TOKEN_VARIABLE) -> list[int]:
    """Live (non-zombie) processes whose environment holds `variable`=token."""
    wanted = f"{variable}={token}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] == b"Z":
                continue
            if wanted in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                found.append(int(entry))
        except (OSError, IndexError):
            continue
    return found


def describe(pid: int) -> str:
    try:
        return (
            f"{pid}: "
            + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
        )
    except OSError:
        return str(pid)


def own_peak(pid: int) -> int:
    """The process's own resident high-water mark in bytes (0 once it is gone).

    wait4's ru_maxrss is no measure of nb2prod's own memory: Linux reports the larger of the
    process and every descendant it waited for, and the kernel it ran buffers what it prints.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((row for row in status.splitlines() if row.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) * 1024


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_cli(
    argv: list[str],
    *,
    cwd: Path,
    tmpdir: Path,
    timeout: float = 300,
    act: Callable[[subprocess.Popen[str], str], None] | None = None,
    env: dict[str, str] | None = None,
) -> CliRun:
    """Run `nb2prod argv` in `cwd`; `act(process, token)` runs on a thread meanwhile (to send signals)."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    full_env = {**os.environ, "TMPDIR": str(tmpdir), TOKEN_VARIABLE: token, **(env or {})}
    full_env.pop("NB2PROD_SESSION", None)
    before_children = {p.pid for p in psutil.Process().children()}
    _set_subreaper(True)
    started = time.monotonic()
    try:
        with _LOCK:
            proc = subprocess.Popen(
                [sys.executable, "-m", "nb2prod", *argv],
                cwd=cwd,
                env=full_env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
            )
            _ACTIVE.add(proc.pid)
        peak = [0, 0]  # the tree's resident bytes; nb2prod's own high-water mark
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss(proc.pid))
                peak[1] = max(peak[1], own_peak(proc.pid))  # sampled: gone once it exits
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        actor = threading.Thread(target=act, args=(proc, token), daemon=True) if act else None
        if actor:
            actor.start()
        out_chunks: list[str] = []
        err_chunks: list[str] = []
        readers = [
            threading.Thread(target=lambda s=s, c=c: c.append(s.read()), daemon=True)
            for s, c in ((proc.stdout, out_chunks), (proc.stderr, err_chunks))
        ]
        for reader in readers:
            reader.start()
        deadline = started + timeout
        while True:
            waited, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if waited:
                break
            if time.monotonic() > deadline:
                proc.kill()
                waited, status, _ = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        for reader in readers:
            reader.join(timeout=10)
        if actor:
            actor.join(timeout=30)
        # slack for processes that are being killed right now (the run waited for its kills)
        survivors = carrying(token)
        grace = time.monotonic() + 2
        while survivors and time.monotonic() < grace:
            time.sleep(0.05)
            survivors = carrying(token)
        with _LOCK:
            _ACTIVE.discard(proc.pid)
            adopted = [
                p
                for p in psutil.Process().children()
                if p.pid not in before_children and p.pid != proc.pid and p.pid not in _ACTIVE
            ]
    finally:
        _set_subreaper(False)
    described = [describe(pid) for pid in survivors]
    for child in adopted:  # orphans this process adopted: report the live ones, then reap all
        try:
            if child.status() != psutil.STATUS_ZOMBIE and child.pid not in survivors:
                described.append(describe(child.pid))
            child.kill()
        except psutil.Error:
            pass
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child.pid, 0)
    for pid in survivors:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)  # leave nothing running, then fail the test
    leftovers = sorted(p.name for p in tmpdir.iterdir() if p.name.startswith("nb2prod-"))
    return CliRun(
        argv,
        proc.returncode,
        "".join(out_chunks),
        "".join(err_chunks),
        seconds,
        peak[1] / 2**20,
        peak[0] / 2**20,
        described,
        leftovers,
    )


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> content); folders and links by kind."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[relative] = b"link:" + os.fsencode(os.readlink(path))
        elif path.is_dir():
            found[relative + "/"] = b""
        else:
            found[relative] = path.read_bytes()
    return found


def tree_digest(folder: Path) -> dict[str, tuple[str, int]]:
    """Content hash and modification time of every file, to show a folder was not touched."""
    return {
        p.relative_to(folder).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False
