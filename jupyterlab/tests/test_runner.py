"""The job runner on its own: its output protocol, and that it never outlives its server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import DEMO

from nb2prod_lab.jobs import MARKER_VARIABLE, marked_processes


def _run(spec: dict[str, object], cwd: Path) -> tuple[int, list[dict[str, object]], str]:
    run = subprocess.run(
        [sys.executable, "-m", "nb2prod_lab.runner", json.dumps(spec)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return run.returncode, [json.loads(line) for line in run.stdout.splitlines()], run.stderr


def test_protocol_lines_only_on_stdout(tmp_path: Path) -> None:
    shutil.copy(DEMO, tmp_path / DEMO.name)
    code, events, _ = _run({"kind": "convert", "notebook": DEMO.name, "verify": False}, tmp_path)
    assert code == 0
    assert [e["event"] for e in events] == ["progress", "result"]  # nothing else leaked onto stdout
    result = events[-1]["result"]
    assert Path(result["out_dir"]) == tmp_path / "credit_approval"
    assert all(Path(f).is_file() for f in result["files"])


def test_input_errors_are_one_message(tmp_path: Path) -> None:
    (tmp_path / "bad.ipynb").write_text("not json")
    code, events, stderr = _run(
        {"kind": "convert", "notebook": "bad.ipynb", "verify": False}, tmp_path
    )
    assert code == 2 and "Traceback" not in stderr
    assert events[-1]["event"] == "error" and events[-1]["message"].startswith("bad.ipynb")


@pytest.mark.slow
def test_a_runner_whose_server_died_stops_itself_and_its_kernel(tmp_path: Path) -> None:
    shutil.copy(DEMO, tmp_path / DEMO.name)
    assert _run({"kind": "convert", "notebook": DEMO.name, "verify": False}, tmp_path)[0] == 0
    job = "test" + os.urandom(8).hex()
    spec = json.dumps({"kind": "verify", "notebook": DEMO.name, "package": "credit_approval"})
    # a stand-in for the server: starts the runner as the registry does, then is SIGKILLed
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-m", "nb2prod_lab.runner", {spec!r}], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(600)
    """),
        ],
        cwd=tmp_path,
        env={**os.environ, MARKER_VARIABLE: job},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not any("ipykernel" in " ".join(p.cmdline()) for p in marked_processes(job)):
            assert time.monotonic() < deadline, "the runner never started its kernel"
            time.sleep(0.2)
        os.killpg(parent.pid, signal.SIGKILL)  # the runner has its own session: it survives this
        parent.wait(10)
        deadline = time.monotonic() + 30
        while marked_processes(job):
            assert time.monotonic() < deadline, [p.cmdline() for p in marked_processes(job)]
            time.sleep(0.2)
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
        for process in marked_processes(job):
            process.kill()
