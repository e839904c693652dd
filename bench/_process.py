"""Run a command for a benchmark, in its own process group, killed whole on timeout."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path


def run_group(
    cmd: list[str], cwd: Path, timeout: float, env: Mapping[str, str] | None = None
) -> tuple[int, str, float]:
    """Exit code (-9 on timeout), combined output and wall seconds."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: nb2prod, kernels and their children
        out, _ = proc.communicate()
        return -9, (out or "") + "\n[timed out]", time.perf_counter() - start
    return proc.returncode, out or "", time.perf_counter() - start
