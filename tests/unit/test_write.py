"""`nb2prod.convert.write`: the atomic package write, in-process (signals, lock, fallback, leftovers).

The subprocess versions, with SIGKILL and concurrent commands, are in tests/faults/.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from nb2prod.convert import write
from nb2prod.convert.render import MARKER, Package
from nb2prod.convert.write import TRACE_VARIABLE, write_file_atomically, write_package
from nb2prod.core.errors import InputError

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 and flock")

OLD = Package(
    "pkg", {MARKER: "old\n", "src/pkg/a.py": "A = 1\n", "only_old.txt": "gone after\n"}, {}
)
NEW = Package("pkg", {MARKER: "new\n", "src/pkg/a.py": "A = 2\n", "src/pkg/b.py": "B = 2\n"}, {})


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


@pytest.fixture
def out(tmp_path: Path) -> Path:
    (tmp_path / "nb.ipynb").write_text("{}")
    return tmp_path / "build" / "out"


def _write(package: Package, out: Path) -> Path:
    return write_package(package, out, notebook=out.parents[1] / "nb.ipynb")


def test_a_second_write_replaces_the_whole_folder(out: Path) -> None:
    _write(OLD, out)
    assert _tree(out) == dict(OLD.files)
    _write(NEW, out)
    assert _tree(out) == dict(NEW.files)  # only_old.txt went with the previous package
    assert _siblings(out) == []
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_exchange_swaps_two_folders_in_one_step(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    (a / "sub").mkdir(parents=True)
    (a / "sub" / "x").write_text("from a")
    b.mkdir()
    (b / "y").write_text("from b")
    assert write._exchange(a, b)
    assert _tree(a) == {"y": "from b"} and _tree(b) == {"sub/x": "from a"}


def test_without_exchange_the_two_renames_give_the_same_result(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        write, "_exchange", lambda a, b: False
    )  # a file system without RENAME_EXCHANGE
    _write(OLD, out)
    _write(NEW, out)
    assert _tree(out) == dict(NEW.files) and _siblings(out) == []


def test_siblings_left_by_killed_writers_are_removed(out: Path) -> None:
    _write(OLD, out)
    for name in (".out.nb2prod-tmp-k1", ".out.nb2prod-new-k2", ".out.nb2prod-old-k3"):
        (out.parent / name / "src").mkdir(parents=True)
        (out.parent / name / "src" / "half.py").write_text("x = ")
    (out.parent / ".other.nb2prod-tmp-k4").mkdir()  # another output's: not ours to remove
    _write(NEW, out)
    assert _siblings(out) == []
    assert (out.parent / ".other.nb2prod-tmp-k4").is_dir()


def test_a_writer_that_cannot_get_the_lock_refuses_and_touches_nothing(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(OLD, out)
    monkeypatch.setattr(write, "LOCK_TIMEOUT", 0.3)
    fd = os.open(out.parent, os.O_RDONLY)  # another writer holds the folder
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(InputError) as caught:
            _write(NEW, out)
        assert time.monotonic() - started < 5
    finally:
        os.close(fd)
    assert caught.value.kind == "output-busy" and "another nb2prod" in caught.value.message
    assert _tree(out) == dict(OLD.files) and _siblings(out) == []


def test_refuses_a_folder_nb2prod_did_not_make_unless_forced(out: Path) -> None:
    out.mkdir(parents=True)
    (out / "mine.txt").write_text("keep")
    with pytest.raises(InputError) as caught:
        _write(NEW, out)
    assert caught.value.kind == "output-exists" and (out / "mine.txt").read_text() == "keep"
    write_package(NEW, out, notebook=out.parents[1] / "nb.ipynb", force=True)
    assert _tree(out) == dict(NEW.files)


def _interrupt_at(step: str, trace: Path) -> threading.Thread:
    """Send this process SIGINT once the write's trace reaches `step`."""

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if trace.exists() and any(
                line.split(" ", 1)[1].startswith(step) for line in trace.read_text().splitlines()
            ):
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("step", "expected"),
    [("file src/pkg/a.py", OLD), ("swapped", NEW)],
    ids=["mid-write-keeps-previous", "after-swap-keeps-new"],
)
def test_ctrl_c_during_the_write_raises_after_leaving_one_whole_package(
    step: str, expected: Package, out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(OLD, out)
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv(TRACE_VARIABLE, str(trace))
    monkeypatch.setattr(write, "TRACE_PAUSE", 0.2)
    watcher = _interrupt_at(step, trace)
    with pytest.raises(KeyboardInterrupt):
        _write(NEW, out)
    watcher.join()
    assert _tree(out) == dict(expected.files) and _siblings(out) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


def test_trace_hook_is_inert_unless_set(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRACE_VARIABLE, raising=False)
    started = time.monotonic()
    _write(OLD, out)
    _write(NEW, out)
    assert time.monotonic() - started < write.TRACE_PAUSE * 3  # no pauses


def test_single_file_write_leaves_no_temporary_file_when_it_fails(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text("before\n")
    with pytest.raises(TypeError):
        write_file_atomically(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "before\n" and sorted(p.name for p in tmp_path.iterdir()) == [
        "pyproject.toml"
    ]
    write_file_atomically(target, "after\n")
    assert target.read_text() == "after\n" and sorted(p.name for p in tmp_path.iterdir()) == [
        "pyproject.toml"
    ]
