"""`nb2prod.verify.containment.contained_session`: nothing started inside outlives it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from nb2prod.verify.containment import SESSION_VARIABLE, contained_session

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != b"Z"


def test_processes_started_inside_are_killed_on_the_way_out() -> None:
    sleepers = []
    with pytest.raises(RuntimeError), contained_session():
        # its own session, like a kernel: not reachable through the process group
        sleepers.append(
            subprocess.Popen(
                [sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True
            )
        )
        raise RuntimeError("the command failed")
    sleepers[0].wait(timeout=10)
    assert sleepers[0].returncode == -9


def test_a_process_started_outside_survives(tmp_path: Path) -> None:
    outside = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        with contained_session():
            pass
        time.sleep(0.2)
        assert outside.poll() is None
    finally:
        outside.kill()
        outside.wait()


def test_nested_sessions_list_their_tokens_and_restore_the_environment() -> None:
    before = {name: os.environ.get(name) for name in (SESSION_VARIABLE, "TMPDIR")}
    with contained_session():
        outer = os.environ[SESSION_VARIABLE]
        children_tmp = Path(os.environ["TMPDIR"])
        assert children_tmp.is_dir() and children_tmp.name.startswith(
            f"nb2prod-session-{os.getpid()}-"
        )
        assert tempfile.gettempdir() != str(children_tmp)  # this process keeps its own
        with contained_session():
            assert os.environ[SESSION_VARIABLE].split(",")[0] == outer
            assert len(os.environ[SESSION_VARIABLE].split(",")) == 2
        assert os.environ[SESSION_VARIABLE] == outer
    assert not children_tmp.exists()
    assert {name: os.environ.get(name) for name in before} == before


def test_session_folders_of_killed_commands_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f"nb2prod-session-{dead.pid}-abc").mkdir()
    (tmp_path / f"nb2prod-session-{os.getpid()}-live").mkdir()  # a command still running
    (tmp_path / "nb2prod-run-other").mkdir()
    with contained_session():
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "nb2prod-run-other",
        f"nb2prod-session-{os.getpid()}-live",
    ]
