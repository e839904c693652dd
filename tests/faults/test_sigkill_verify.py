"""SIGKILL of `nb2prod verify` while the package runs: the package run ends with it (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.harness import carrying, run_cli, wait_for
from tests.helpers import code, md, notebook, write

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"
)


def _package_runs(token: str) -> list[int]:
    """The package run: a `python -c` carrying the run's token whose script captures values."""
    found = []
    for pid in carrying(token):
        try:
            if b"__nb2prod_capture__" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def test_package_run_dies_with_a_killed_verify(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    write(
        work / "slow.ipynb",
        notebook(md("## Step"), code("import time\ntotal = sum(range(10))\ntime.sleep(120)")),
    )
    seen: list[int] = []

    def kill_when_the_package_runs(proc: subprocess.Popen[str], token: str) -> None:
        if wait_for(lambda: bool(_package_runs(token)), timeout=120):
            seen.extend(_package_runs(token))
            os.kill(proc.pid, signal.SIGKILL)

    run = run_cli(
        ["verify", "slow.ipynb", "--timeout", "300"],
        cwd=work,
        tmpdir=tmp_path / "tmp",
        timeout=200,
        act=kill_when_the_package_runs,
    )
    assert seen, "the package run never started\n" + run.describe()
    assert run.code == -signal.SIGKILL
    assert not [s for s in run.survivors if any(str(pid) in s.split(":")[0] for pid in seen)], (
        run.survivors
    )
