"""`pin --check`: a real venv, real pip (the machine's index), real imports. Slow: a few seconds each."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nb2prod.cli import main
from nb2prod.notebook.load import load
from nb2prod.pin import PinResult, pin_notebook
from nb2prod.pin.environment import environment_for
from nb2prod.pin.venv_check import check_in_clean_venv, checked_imports
from tests.helpers import code, notebook, write

pytestmark = pytest.mark.slow


def _pin(tmp_path: Path, *sources: str) -> PinResult:
    path = write(tmp_path / "nb.ipynb", notebook(*(code(s, i + 1) for i, s in enumerate(sources))))
    return pin_notebook(load(path), environment=environment_for(None, sys.executable))


def test_checked_imports_skip_stdlib_local_and_relative(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("")
    result = _pin(
        tmp_path,
        "import os\nimport helpers\nfrom . import x\nimport iniconfig\nfrom iniconfig import IniConfig",
        "import iniconfig",
    )
    assert [(u.module, u.name) for u in checked_imports(result)] == [
        ("iniconfig", None),
        ("iniconfig", "IniConfig"),
    ]


def test_clean_venv_with_the_pins_imports_everything(tmp_path: Path) -> None:
    result = _pin(tmp_path, "import json\nimport iniconfig\nfrom iniconfig import IniConfig")
    assert result.requirements == (
        f"iniconfig=={environment_for(None, sys.executable).version_of('iniconfig')}",
    )
    check = check_in_clean_venv(result)
    assert check.ok, check
    assert check.checked == 2 and check.venv_error is None


def test_failures_are_each_reported(tmp_path: Path) -> None:
    result = _pin(
        tmp_path,
        "%pip install iniconfig==999.0.0",
        "import iniconfig",
        "import not_a_real_module_xyz",
    )
    check = check_in_clean_venv(result)
    assert not check.ok
    assert [f.requirement for f in check.install_failures] == ["iniconfig==999.0.0"]
    assert "999.0.0" in check.install_failures[0].message
    failed = {(f.module, f.cell, f.cell_id): f.error for f in check.import_failures}
    assert set(failed) == {("iniconfig", 1, "c1"), ("not_a_real_module_xyz", 2, "c2")}
    assert all(error.startswith("ModuleNotFoundError") for error in failed.values())


def test_cli_check_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "nb.ipynb", notebook(code("import iniconfig", 1)))
    assert main(["pin", str(path), "--python", sys.executable, "--check"]) == 0
    assert "--check passed: 1 import(s) tried" in capsys.readouterr().err
