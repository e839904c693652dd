"""Handler tests against an in-process Jupyter Server with nb2prod_lab enabled (pytest-jupyter)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]

REPO = Path(__file__).resolve().parents[2]
# Test this checkout's nb2prod_lab, also in the job runners and the real server (subprocesses),
# whether the venv holds an editable install or a wheel built earlier.
SOURCE = str(REPO / "jupyterlab")
sys.path.insert(0, SOURCE)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [SOURCE, os.environ.get("PYTHONPATH")]))
DEMO = REPO / "sample_notebooks" / "demo" / "credit_approval.ipynb"

Api = Callable[..., Awaitable[tuple[int, Any]]]


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"nb2prod_lab": True}}}


@pytest.fixture
def demo(jp_root_dir: Path) -> str:
    """The demo notebook inside the server's root; its root-relative path."""
    (jp_root_dir / "demo").mkdir()
    shutil.copy(DEMO, jp_root_dir / "demo" / DEMO.name)
    return f"demo/{DEMO.name}"


@pytest.fixture
def api(jp_fetch: Callable[..., Any]) -> Api:
    """`await api("POST", "check", {"path": ...})` -> (status, JSON body); never raises on 4xx/5xx."""

    async def call(method: str, endpoint: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        if method in ("POST", "PUT") and body is None:
            body = b""
        response = await jp_fetch(
            "nb2prod", *endpoint.split("/"), method=method, body=body, raise_error=False, **kwargs
        )
        text = response.body.decode("utf-8")
        return response.code, json.loads(text) if text else None

    return call


async def wait_for_job(
    api: Api, job: str, timeout: float = 600, until: Callable[[dict[str, Any]], bool] | None = None
) -> dict[str, Any]:
    """Poll a job until it ends (or `until` holds); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        status, state = await api("GET", f"jobs/{job}")
        assert status == 200, state
        if (until or (lambda s: s["state"] not in ("queued", "running")))(state):
            return state
        assert time.monotonic() < deadline, f"job still running after {timeout} s: {state}"
        await asyncio.sleep(0.2)


def cli_check_document(root: Path, relative: str) -> dict[str, Any]:
    """What `nb2prod check --format json` prints for the notebook, run from the root."""
    run = subprocess.run(
        [sys.executable, "-m", "nb2prod", "check", "--format", "json", "--exit-zero", relative],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode in (0, 2), run.stderr
    return json.loads(run.stdout)
