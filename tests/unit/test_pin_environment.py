"""The environment a notebook runs in: kernelspec -> interpreter -> a subprocess query, cached."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from nb2prod.core.errors import InputError
from nb2prod.pin import environment as envmod
from nb2prod.pin.environment import (
    environment_for,
    interpreter_for_kernel,
    interpreter_from_path,
    query,
)


def _base_python() -> str | None:
    """The interpreter this venv was made from: another environment, without nb2prod in it."""
    for name in ("python3", "python"):
        candidate = Path(sys.base_prefix, "bin", name)
        if candidate.is_file() and os.path.realpath(sys.prefix) != os.path.realpath(
            sys.base_prefix
        ):
            return str(candidate)
    return None


def _script(path: Path, text: str) -> str:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_python_option_accepts_a_venv_folder() -> None:
    interpreter = interpreter_from_path(sys.prefix)
    assert Path(interpreter.path).parent == Path(sys.prefix, "bin")
    assert interpreter.source == "--python" and not interpreter.fallback


@pytest.mark.parametrize("bad", ["/no/such/python", "no-such-python-on-path-xyz"])
def test_python_option_that_does_not_exist_is_input_error(bad: str) -> None:
    with pytest.raises(InputError) as info:
        interpreter_from_path(bad)
    assert info.value.path == bad and info.value.kind == "python-not-found"


def test_folder_without_interpreter_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="without bin/python"):
        interpreter_from_path(str(tmp_path))


def test_interpreter_that_fails_is_input_error(tmp_path: Path) -> None:
    broken = _script(tmp_path / "python", "#!/bin/sh\necho 'boom: no python here' >&2\nexit 3\n")
    with pytest.raises(InputError, match="boom: no python here") as info:
        environment_for(None, broken)
    assert info.value.kind == "python-broken"
    chatty = _script(tmp_path / "python-chatty", "#!/bin/sh\necho hello\n")
    with pytest.raises(InputError, match="something other than"):
        environment_for(None, chatty)


def test_default_kernel_runs_jupyters_own_python() -> None:
    interpreter = interpreter_for_kernel("python3")
    assert (
        interpreter.path == sys.executable
    )  # argv[0] "python" means the Jupyter process's interpreter
    assert interpreter.source.startswith("kernelspec 'python3'") and not interpreter.fallback


def test_unknown_kernel_falls_back_and_says_so() -> None:
    interpreter = interpreter_for_kernel("no-such-kernel-xyz")
    assert interpreter.fallback and interpreter.path == sys.executable
    assert "kernel 'no-such-kernel-xyz' is not installed here" in interpreter.source


def test_kernelspec_with_its_own_interpreter_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _base_python()
    if base is None:
        pytest.skip(
            "tests do not run in a venv, so there is no second interpreter to point a kernel at"
        )
    kernel = tmp_path / "kernels" / "other-env"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    "/usr/bin/env",
                    base,
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "Other",
                "language": "python",
                "env": {"NB2PROD_TEST_MARK": "1"},
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    interpreter = interpreter_for_kernel("other-env")
    assert interpreter.path == base and not interpreter.fallback
    assert ("NB2PROD_TEST_MARK", "1") in interpreter.env


def test_another_interpreter_answers_for_itself() -> None:
    base = _base_python()
    if base is None:
        pytest.skip("tests do not run in a venv")
    here = environment_for(None, sys.executable)
    there = environment_for(None, base)
    assert here.version_of("nb2prod") is not None  # the editable install lives in the venv only
    assert there.version_of("nb2prod") is None
    assert there.version == here.version  # the venv was made from it
    assert "json" in there.stdlib and "nb2prod" not in there.modules


def test_query_is_cached_per_interpreter_and_mtime() -> None:
    envmod.clear_cache()
    first = environment_for(None, sys.executable)
    second = environment_for(None, sys.executable)
    info = envmod._query_cached.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert first.distributions == second.distributions
    assert first.version_of("scikit-learn") == first.version_of("Scikit_Learn")  # PEP 503 names


def test_query_reports_namespace_portions_and_importable_modules() -> None:
    env = environment_for(None, sys.executable)
    assert env.namespaces["mpl_toolkits"]["mpl_toolkits.mplot3d"] == ("matplotlib",)
    assert "pillow" in {n.lower() for n in env.top_level["PIL"]}
    assert env.importable("numpy") and not env.importable("not_a_real_module_xyz")
    assert {"os", "sys", "_thread"} <= env.stdlib


def test_query_ignores_the_folder_it_runs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "shadow_module_xyz.py").write_text("")
    monkeypatch.setattr(
        tempfile, "tempdir", str(tmp_path)
    )  # the query runs in the temporary folder
    envmod.clear_cache()
    env = query(interpreter_from_path(sys.executable))
    assert "shadow_module_xyz" not in env.modules
