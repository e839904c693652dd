"""A real `jupyter lab` on 127.0.0.1 and Debian's chromium driven by Playwright's sync API.

Run on their own (`pytest jupyterlab/ui-tests`): pytest-jupyter's fixtures and a browser in one
session clash at teardown. Where chromium, Playwright or the built extension is missing the tests
skip and say why; `NB2PROD_REQUIRE_BROWSER=1` (set by `make test`) turns those skips into failures.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "sample_notebooks" / "demo" / "credit_approval.ipynb"
CHROMIUM = Path(os.environ.get("NB2PROD_CHROMIUM", "/usr/bin/chromium"))
# The flags this machine's closed network needs (no background calls home, no QUIC).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("NB2PROD_TEST_ARTIFACTS", REPO / "test-artifacts"))
SERVER_START_TIMEOUT = 90.0


def _missing(reason: str) -> None:
    if os.environ.get("NB2PROD_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser test cannot run: {reason}", pytrace=False)
    pytest.skip(f"browser test skipped: {reason}")


def _labextension_installed() -> bool:
    from jupyter_core.paths import jupyter_path

    return any(
        (Path(d) / "nb2prod-lab" / "package.json").is_file() for d in jupyter_path("labextensions")
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Lab:
    url: str
    token: str
    root: Path
    notebook: str

    def api(self, method: str, path: str, body: object = None) -> object:
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=None if body is None else json.dumps(body).encode(),
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Lab]:
    """Start `jupyter lab` in its own process group on a temp root holding the demo notebook."""
    if not CHROMIUM.is_file():
        _missing(f"{CHROMIUM} not found (apt-get install chromium; `make test` does it as root)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the Python package playwright is not installed (`make test` installs it)")
    try:
        import nb2prod_lab  # noqa: F401
    except ImportError:
        _missing("nb2prod-lab is not installed (`make lab` builds and installs ./jupyterlab)")
    if not _labextension_installed():
        _missing("the nb2prod-lab labextension is not built/installed (`make lab`)")

    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    shutil.copy(DEMO, root / DEMO.name)
    # Every rule, opt-in ones included: the tests need findings in many cells (the CLI reads the
    # same file, so expected and shown findings still come from one configuration).
    (root / "pyproject.toml").write_text('[tool.nb2prod]\nselect = ["NB"]\n')
    # Fresh per-run settings: no news/update toasts covering the page, no restored workspace.
    settings = base / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    ).write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # One job slot: a second job waits in the queue (test_a_second_job_waits_in_the_queue).
    (base / "config").mkdir()
    (base / "config" / "jupyter_server_config.json").write_text(
        json.dumps({"Nb2prodLab": {"max_running_jobs": 1}})
    )
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "MPLBACKEND": "Agg",
    }
    port, token = _free_port(), token_hex(16)
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
    ]  # fmt: skip
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log_path = artifacts / "jupyter-lab.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    lab = Lab(f"http://127.0.0.1:{port}", token, root, DEMO.name)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited with {server.returncode}; log: {log_path}")
            try:
                status = lab.api("GET", "/nb2prod/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"jupyter lab did not answer in {SERVER_START_TIMEOUT} s; log: {log_path}"
                    )
                time.sleep(0.3)
        assert isinstance(status, dict) and "nb2prod" in status, status
        yield lab
    finally:
        _stop(server, lab)


def _stop(server: subprocess.Popen[bytes], lab: Lab) -> None:
    """Shut kernels down through the API (they run in sessions of their own), then the server's group."""
    if server.poll() is None:
        try:
            kernels = lab.api("GET", "/api/kernels")
            for kernel in kernels if isinstance(kernels, list) else []:
                lab.api("DELETE", f"/api/kernels/{kernel['id']}")
        except OSError:
            pass
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    with contextlib.suppress(
        ProcessLookupError
    ):  # anything the server left in its group (job runners)
        os.killpg(server.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser_context(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1500, "height": 950},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def page(lab: Lab, browser_context: object, artifacts: Path) -> Iterator[object]:
    """The demo notebook open in JupyterLab; page errors are collected in `page.errors`."""
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.artifacts = artifacts
    page.set_default_timeout(30_000)
    page.goto(f"{lab.url}/lab/tree/{lab.notebook}?token={lab.token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_selector(".nb2prod-toolbar-button")
    # as a user would find it: kernel started and idle, nothing loading
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status=idle]", timeout=60_000)
    page.locator(
        ".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current"
    ).click()  # file browser away
    yield page
    page.screenshot(path=str(artifacts / "jupyterlab-last.png"))
