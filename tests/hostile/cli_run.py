"""Run nb2prod's real CLI on hostile input and judge the outcome against tests/bad_inputs/manifest.toml."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import signal
import stat
import subprocess
import sys
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
BAD_INPUTS = ROOT / "tests" / "bad_inputs"
MANIFEST: dict[str, dict[str, object]] = tomllib.loads(
    (BAD_INPUTS / "manifest.toml").read_text("utf-8")
)["inputs"]
COMMANDS = ("check", "pin", "convert")
ENTRY_POINT = Path(sys.executable).with_name("nb2prod")  # the console script `pip install` made


def make_bad_inputs() -> ModuleType:
    """scripts/make_bad_inputs.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "make_bad_inputs", ROOT / "scripts" / "make_bad_inputs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def names(where: str) -> list[str]:
    return sorted(name for name, entry in MANIFEST.items() if entry["where"] == where)


@dataclass(frozen=True, slots=True)
class Expected:
    exit: int
    words: str | None
    cell: int | None


def expected(name: str, command: str) -> Expected:
    entry = MANIFEST[name]
    code = entry["exit"]
    words = entry.get("words")
    return Expected(
        int(code[command] if isinstance(code, dict) else code),  # type: ignore[arg-type, index]
        words.get(command) if isinstance(words, dict) else words,  # type: ignore[arg-type]
        entry.get("cell"),  # type: ignore[arg-type]
    )


def argv(command: str, path: str, out_dir: Path) -> list[str]:
    if command == "convert":
        return ["convert", path, "--no-verify", "--out", str(out_dir / "package"), "--force"]
    if command == "check":  # every rule, opt-in ones included, must survive a hostile input
        return ["check", "--select", "NB", path]
    return [command, path]


def judge(name: str, command: str, path: str, code: int, stdout: str, stderr: str) -> None:
    """The manifest's promise for this input and command, and the promises every input shares."""
    want = expected(name, command)
    text = stdout + stderr
    where = (
        f"{command} {name}: exit {code}\n--- stdout\n{stdout[-1500:]}\n--- stderr\n{stderr[-1500:]}"
    )
    assert "Traceback" not in text, where
    assert code != 3, where
    assert code == want.exit, where
    # pin's requirements header names the file on success; only diagnostics count here
    about = [line for line in text.splitlines() if path in line and not line.startswith("#")]
    if want.exit == 2:
        assert len(about) == 1, where  # one line, naming the file
        if command != "check":
            assert stdout == "", where  # no half document on stdout
    if want.words is not None:
        lines = [line for line in about if want.words in line]
        assert lines, where  # several for findings (check's NB1xx lines), one for an error
        if want.cell is not None:
            assert any(f"cell {want.cell}:" in line for line in lines), where


def fingerprint(path: Path) -> object:
    """What must not change: bytes and mtime of a file, the entries of a folder, the link itself."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return ("absent", exc.errno)
    if stat.S_ISLNK(info.st_mode):
        return ("link", os.readlink(path), info.st_mtime_ns)
    if stat.S_ISDIR(info.st_mode):
        return (
            "dir",
            info.st_mtime_ns,
            tuple((p.name, fingerprint(p)) for p in sorted(path.iterdir())),
        )
    if stat.S_ISREG(info.st_mode) and os.access(path, os.R_OK):
        return (
            "file",
            hashlib.sha256(path.read_bytes()).hexdigest(),
            info.st_mtime_ns,
            info.st_mode,
        )
    return ("other", info.st_mode, info.st_mtime_ns, info.st_size)


@dataclass(frozen=True, slots=True)
class ChildRun:
    code: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    timed_out: bool


def run_child(args: list[str], timeout: float, cwd: Path = ROOT) -> ChildRun:
    """Run a command; its own peak RSS comes from `wait4`, which reports on that child alone."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp"))
    with (
        open(os.devnull, "rb") as stdin,
        _temp(out_path, "out") as out,
        _temp(out_path, "err") as err,
    ):
        process = subprocess.Popen(
            args, stdin=stdin, stdout=out, stderr=err, cwd=cwd, start_new_session=True
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            os.killpg(process.pid, signal.SIGKILL)  # the group we created, nothing else

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(
            status
        )  # reaped here: keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        return ChildRun(
            process.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_maxrss / 1024,
            timed_out.is_set(),
        )


def _temp(folder: Path, suffix: str):  # type: ignore[no-untyped-def]
    import tempfile

    return tempfile.TemporaryFile(dir=folder, suffix=suffix)


def cli(*args: str) -> list[str]:
    """The console script when installed (as `make test` does), else `python -m nb2prod`."""
    if ENTRY_POINT.exists():
        return [str(ENTRY_POINT), *args]
    return [sys.executable, "-m", "nb2prod", *args]
