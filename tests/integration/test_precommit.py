"""The `nb2prod-check` pre-commit hook, run by the real `pre-commit` tool inside `git commit`.

The hook is installed the way a user installs it: `.pre-commit-config.yaml` names a git
repository and a revision. The repository is a snapshot of this project's working tree
(tracked plus untracked-but-not-ignored files, so uncommitted edits are what gets tested),
committed into a temporary git repository. pre-commit then clones it and pip-installs it
into its own hook environment, pulling nb2prod's dependencies from PyPI. That environment
lives in a module-wide PRE_COMMIT_HOME, so it is built once for all the tests here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOK_ID = "nb2prod-check"

# Building the hook environment pip-installs nb2prod and its dependencies: give it time.
INSTALL_TIMEOUT = 1800
STEP_TIMEOUT = 600
GIT_TIMEOUT = 120

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed (on PATH)"),
]


# -- helpers -----------------------------------------------------------------------------


Proc = subprocess.CompletedProcess[str]


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Proc:
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _output(proc: Proc) -> str:
    command = " ".join(map(str, proc.args))
    return f"$ {command}\n[exit {proc.returncode}]\n{proc.stdout}{proc.stderr}"


def _git(repo: Path, env: dict[str, str], *args: str) -> Proc:
    return _run(["git", *args], repo, env, GIT_TIMEOUT)


def _git_ok(repo: Path, env: dict[str, str], *args: str) -> str:
    proc = _git(repo, env, *args)
    assert proc.returncode == 0, _output(proc)
    return proc.stdout


def _pre_commit(repo: Path, env: dict[str, str], *args: str, timeout: float = STEP_TIMEOUT) -> Proc:
    # The pre-commit of the interpreter running the tests (the project's venv).
    return _run([sys.executable, "-m", "pre_commit", *args], repo, env, timeout)


def _init_repo(repo: Path, env: dict[str, str]) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    _git_ok(repo, env, "init", "--quiet")
    for key, value in (
        ("user.name", "nb2prod test"),
        ("user.email", "nb2prod-test@example.invalid"),
        ("commit.gpgsign", "false"),
        ("tag.gpgsign", "false"),
        ("core.autocrlf", "false"),
    ):
        _git_ok(repo, env, "config", key, value)


def _code(index: int, source: str, count: int | None, stdout: str | None = None) -> dict[str, Any]:
    outputs = [{"output_type": "stream", "name": "stdout", "text": [stdout]}] if stdout else []
    return {
        "cell_type": "code",
        "id": f"code-{index}",
        "metadata": {},
        "execution_count": count,
        "source": source,
        "outputs": outputs,
    }


def _notebook(title: str, *cells: dict[str, Any]) -> dict[str, Any]:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [
            {"cell_type": "markdown", "id": "title", "metadata": {}, "source": f"# {title}"},
            *cells,
        ],
    }


# Ran as [3], [1], [2] (NB101) and reads `scale`, which no cell defines (NB104).
MESSY = _notebook(
    "Messy analysis",
    _code(1, "import math\n", 3),
    _code(2, "radius = 2.0\narea = math.pi * radius ** 2\nprint(round(area, 2))\n", 1, "12.57\n"),
    _code(3, "print(round(area * scale, 2))\n", 2, "25.13\n"),
)

# Ran top to bottom as [1], [2], [3]; every name is defined above its use.
CLEAN = _notebook(
    "Clean analysis",
    _code(1, "import math\n", 1),
    _code(2, "radius = 2.0\narea = math.pi * radius ** 2\n", 2),
    _code(3, "print(round(area, 2))\n", 3, "12.57\n"),
)


def _write_notebook(path: Path, nb: dict[str, Any]) -> None:
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def git_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment for git and pre-commit: isolated from the user's git config and hooks,
    with a PRE_COMMIT_HOME shared by every test in this module."""
    base = tmp_path_factory.mktemp("precommit-env")
    global_config = base / "gitconfig"
    global_config.write_text(
        "[user]\n\tname = nb2prod test\n\temail = nb2prod-test@example.invalid\n"
        "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
        "[init]\n\tdefaultBranch = main\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_CONFIG_GLOBAL=str(global_config),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        PRE_COMMIT_HOME=str(base / "pre-commit-home"),
        PRE_COMMIT_COLOR="never",
        NO_COLOR="1",
    )
    return env


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory, git_env: dict[str, str]) -> tuple[Path, str]:
    """A git repository holding the project's working tree as it is now; returns (path, sha)."""
    listed = _run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "-co", "--exclude-standard"],
        ROOT,
        git_env,
        GIT_TIMEOUT,
    )
    assert listed.returncode == 0, f"{ROOT} must be a git checkout\n{_output(listed)}"
    names = sorted({name for name in listed.stdout.split("\0") if name})
    assert ".pre-commit-hooks.yaml" in names, names

    snap = tmp_path_factory.mktemp("nb2prod-snapshot")
    copied = 0
    for name in names:
        source = ROOT / name
        if not source.exists() and not source.is_symlink():
            continue  # tracked but deleted in the working tree
        if source.is_dir() and not source.is_symlink():
            continue  # a submodule or nested repository: not part of the package
        target = snap / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
        copied += 1
    assert copied, "no project files were copied"

    _init_repo(snap, git_env)
    _git_ok(snap, git_env, "add", "--all")
    _git_ok(snap, git_env, "commit", "--quiet", "--no-verify", "-m", "snapshot of the working tree")
    sha = _git_ok(snap, git_env, "rev-parse", "HEAD").strip()
    assert len(sha) == 40, sha
    return snap, sha


@pytest.fixture
def user_repo(tmp_path: Path, git_env: dict[str, str], snapshot: tuple[Path, str]) -> Path:
    """A user's project whose committed .pre-commit-config.yaml uses the nb2prod-check hook,
    with the git hook installed and the hook environment built."""
    snap, sha = snapshot
    repo = tmp_path / "user-project"
    _init_repo(repo, git_env)
    # JSON is valid YAML, and quotes the temporary path safely.
    config = {"repos": [{"repo": str(snap), "rev": sha, "hooks": [{"id": HOOK_ID}]}]}
    config_text = json.dumps(config, indent=2) + "\n"
    (repo / ".pre-commit-config.yaml").write_text(config_text, encoding="utf-8")
    (repo / "README.md").write_text("# A project with notebooks\n", encoding="utf-8")
    _git_ok(repo, git_env, "add", ".pre-commit-config.yaml", "README.md")
    _git_ok(repo, git_env, "commit", "--quiet", "--no-verify", "-m", "initial commit")

    # --install-hooks builds the hook environment now (once per module, thanks to
    # PRE_COMMIT_HOME), so a failing pip install is reported here rather than inside a commit.
    proc = _pre_commit(repo, git_env, "install", "--install-hooks", timeout=INSTALL_TIMEOUT)
    assert proc.returncode == 0, _output(proc)
    assert (repo / ".git" / "hooks" / "pre-commit").is_file(), _output(proc)
    return repo


def _head(repo: Path, env: dict[str, str]) -> str:
    return _git_ok(repo, env, "rev-parse", "HEAD").strip()


# -- tests -------------------------------------------------------------------------------


def test_manifest_is_valid(git_env: dict[str, str]) -> None:
    proc = _pre_commit(ROOT, git_env, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml"))
    assert proc.returncode == 0, _output(proc)


def test_commit_of_messy_notebook_is_blocked(user_repo: Path, git_env: dict[str, str]) -> None:
    before = _head(user_repo, git_env)
    _write_notebook(user_repo / "messy.ipynb", MESSY)
    _git_ok(user_repo, git_env, "add", "messy.ipynb")

    proc = _git(user_repo, git_env, "commit", "-m", "add a messy notebook")
    out = _output(proc)
    assert proc.returncode != 0, out
    assert "nb2prod check" in out and "Failed" in out, out
    assert f"hook id: {HOOK_ID}" in out, out
    assert "messy.ipynb" in out, out
    assert "NB101" not in out, out  # cells ran as [3], [1], [2], but NB101 is opt-in
    assert "NB104" in out and "'scale'" in out, out  # defined in no cell
    assert _head(user_repo, git_env) == before, "the commit should not have been made"


def test_commit_of_clean_notebook_succeeds(user_repo: Path, git_env: dict[str, str]) -> None:
    before = _head(user_repo, git_env)
    _write_notebook(user_repo / "clean.ipynb", CLEAN)
    # Not a notebook: the hook's `types_or: [jupyter]` keeps it away from nb2prod, which
    # would otherwise read it as a script notebook and report NB104 for the undefined name.
    (user_repo / "helper.py").write_text("print(undefined_name)\n", encoding="utf-8")
    _git_ok(user_repo, git_env, "add", "clean.ipynb", "helper.py")

    proc = _git(user_repo, git_env, "commit", "-m", "add a clean notebook")
    out = _output(proc)
    assert proc.returncode == 0, out
    # The hook ran on clean.ipynb (not skipped with "(no files to check)").
    assert "nb2prod check" in out and "Passed" in out, out
    assert "NB1" not in out, out
    assert _head(user_repo, git_env) != before, out
    committed = _git_ok(user_repo, git_env, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(committed) == ["clean.ipynb", "helper.py"], committed
