"""Golden packages: every sample notebook that converts has its expected package committed.

Missing goldens are created (then commit them); existing ones must match byte for byte.
Set NB2PROD_UPDATE_GOLDEN=1 to rewrite them after an intended change. In CI a missing
golden is a failure, so nothing passes by writing its own expectation.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nb2prod.convert.build import build
from nb2prod.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
NOTEBOOKS = sorted((ROOT / "sample_notebooks").rglob("*.ipynb"))


def _relative(path: Path) -> str:
    return path.relative_to(ROOT / "sample_notebooks").with_suffix("").as_posix().replace("/", "__")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[_relative(p) for p in NOTEBOOKS])
def test_golden_package(notebook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # paths in reports are relative to the repository
    folder = GOLDEN / _relative(notebook)
    try:
        # unpinned: pins come from whatever environment runs the tests (tested in test_convert.py)
        _, package = build(str(notebook.relative_to(ROOT)), pin=False)
        files = dict(package.files)
    except InputError as exc:
        files = {"REFUSED.txt": f"{exc.kind}: {exc.message}\n"}
    if os.environ.get("NB2PROD_UPDATE_GOLDEN") or not folder.exists():
        if os.environ.get("CI") and not os.environ.get("NB2PROD_UPDATE_GOLDEN"):
            pytest.fail(f"golden {folder} is missing: run the tests locally and commit it")
        for old in folder.rglob("*") if folder.exists() else []:
            if old.is_file():
                old.unlink()
        for relative, text in files.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    stored = {
        p.relative_to(folder).as_posix(): p.read_text("utf-8")
        for p in folder.rglob("*")
        if p.is_file()
    }
    assert sorted(stored) == sorted(files)
    for relative, text in files.items():
        assert stored[relative] == text, f"{relative} differs from its golden copy"
