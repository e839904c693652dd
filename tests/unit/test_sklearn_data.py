"""nb2prod/data/sklearn_random_state.json is what scripts/gen_sklearn_random_state.py makes."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_sklearn_random_state.py"
DATA = ROOT / "nb2prod" / "data" / "sklearn_random_state.json"
REGENERATE = f"{sys.executable} {SCRIPT.relative_to(ROOT)}"


def _stored() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _installed_sklearn() -> str | None:
    try:
        return metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        return None


def test_stored_data_matches_a_fresh_generation(tmp_path: Path) -> None:
    recorded = _stored()["sklearn_version"]
    installed = _installed_sklearn()
    if installed != recorded:
        pytest.skip(
            f"{DATA.name} was generated with scikit-learn {recorded}, "
            f"but {installed or 'no scikit-learn'} is installed"
        )
    output = tmp_path / "sklearn_random_state.json"
    subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(output)],
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    assert output.read_bytes() == DATA.read_bytes(), (
        f"{DATA.relative_to(ROOT)} is out of date: run `{REGENERATE}` and commit the result"
    )


def test_stored_data_has_known_facts() -> None:
    data = _stored()
    assert data["generated_by"] == "scripts/gen_sklearn_random_state.py"
    names = data["names"]
    assert names["RandomForestClassifier"] == ["sklearn.ensemble"]
    assert names["KMeans"] == ["sklearn.cluster"]
    assert names["train_test_split"] == ["sklearn.model_selection"]
    assert "LinearRegression" not in names
    for name, modules in names.items():
        assert modules == sorted(modules), name
        assert all(not part.startswith("_") for module in modules for part in module.split(".")), (
            name
        )
    assert list(names) == sorted(names)
