"""nb2prod/data/ipython_magics.json is what scripts/gen_ipython_magics.py reads off IPython."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_ipython_magics.py"
DATA = ROOT / "nb2prod" / "data" / "ipython_magics.json"
REGENERATE = f"{sys.executable} {SCRIPT.relative_to(ROOT)}"


def _stored() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


def test_stored_table_matches_the_installed_ipython_registry(tmp_path: Path) -> None:
    stored = _stored()
    installed = (metadata.version("ipython"), metadata.version("ipykernel"))
    if installed != (stored["ipython_version"], stored["ipykernel_version"]):
        pytest.skip(
            f"{DATA.name} was generated with IPython {stored['ipython_version']} and ipykernel "
            f"{stored['ipykernel_version']}, but {installed} are installed"
        )
    if os.name != "posix":
        pytest.skip("the table records the shell aliases of a POSIX system")
    output = tmp_path / "ipython_magics.json"
    subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(output)],
        check=True,
        cwd=tmp_path,  # IPython writes nothing here, whatever its configuration
        timeout=120,
        env={**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")},
    )
    assert output.read_bytes() == DATA.read_bytes(), (
        f"{DATA.relative_to(ROOT)} is out of date: run `{REGENERATE}` and commit the result"
    )


def test_stored_table_has_known_facts() -> None:
    data = _stored()
    assert data["generated_by"] == "scripts/gen_ipython_magics.py"
    line, cell = set(data["line"]), set(data["cell"])
    assert {"pip", "conda", "cd", "pwd", "env", "matplotlib", "timeit", "run", "store"} <= line
    assert {"capture", "time", "writefile", "bash"} <= cell
    assert "writefile" not in line
    assert set(data["aliases"]) <= line and "ls" in data["aliases"]
    assert data["extensions"]["autoreload"]["line"] == ["aimport", "autoreload"]
    for key in ("line", "cell", "aliases"):
        assert data[key] == sorted(set(data[key])), key
