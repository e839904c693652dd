"""Conversion details: role overrides, the static check catching a bad rendering, rewrites of magics."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

import nb2prod.convert.build as convert_module
from nb2prod.cli import ExitCode, main
from nb2prod.convert.plan import make_plan
from nb2prod.convert.render import Package, render
from nb2prod.core.errors import InternalError
from nb2prod.notebook.load import load
from tests.helpers import code, md, notebook, write

BASE = [
    md("## Scoring"),
    code("import pandas as pd\nscores = pd.Series([0.1, 0.7, 0.4])", 1),
    code("flagged = scores * 2", 2),
]


def _roles(path: Path, overrides: dict[str, str] | None = None) -> list[str]:
    plan = make_plan(load(path), role_overrides=overrides)
    return [p.role.value for p in plan.statements if p.statement.cell == 2]


def test_role_overrides_tag_comment_and_config(tmp_path: Path) -> None:
    plain = write(tmp_path / "plain.ipynb", notebook(*BASE))
    assert _roles(plain) == ["features"]
    tagged = write(
        tmp_path / "tagged.ipynb",
        notebook(*BASE[:2], code("flagged = scores * 2", 2, tags=["nb2prod:business"])),
    )
    assert _roles(tagged) == ["business"]
    commented = write(
        tmp_path / "commented.ipynb",
        notebook(*BASE[:2], code("flagged = scores * 2  # nb2prod: business", 2)),
    )
    assert _roles(commented) == ["business"]
    assert _roles(plain, {"c2": "model"}) == ["model"]
    assert _roles(plain, {"2": "business"}) == ["business"]


def test_pyproject_roles_reach_convert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod.roles]\nc2 = "business"\n')
    path = write(tmp_path / "n.ipynb", notebook(*BASE))
    assert (
        main(["convert", str(path), "--out", str(tmp_path / "out"), "--no-pin", "--no-verify"])
        == ExitCode.OK
    )
    assert (tmp_path / "out" / "src" / "n" / "business.py").is_file()
    assert "flagged = scores * 2" in (tmp_path / "out" / "src" / "n" / "business.py").read_text()


def test_static_check_catches_a_lost_statement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "n.ipynb", notebook(*BASE))

    def lossy(plan, dependencies=None, **options) -> Package:  # type: ignore[no-untyped-def]
        package = render(plan, dependencies, **options)
        files = dict(package.files)
        key = next(k for k in files if k.endswith("features.py"))
        files[key] = files[key].replace("flagged = scores * 2", "flagged = scores * 3")
        return Package(package.name, files, package.provenance)

    monkeypatch.setattr(convert_module, "render", lossy)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the report is left for the user
    with pytest.raises(InternalError) as info:
        convert_module.build(str(path), pin=False)
    assert (
        info.value.detail_path and "appears 0 time(s)" in Path(info.value.detail_path).read_text()
    )
    assert Path(info.value.detail_path).parent == tmp_path
    out = tmp_path / "out"
    assert (
        main(["convert", str(path), "--out", str(out), "--no-pin", "--no-verify"])
        == ExitCode.INTERNAL
    )
    assert "please report" in capsys.readouterr().err
    assert not out.exists()  # nothing written


def test_magics_are_rewritten(tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.ipynb",
        notebook(
            code("%matplotlib inline\n%pip install tabulate==0.9.0\nimport pandas as pd", 1),
            code("%time frame = pd.DataFrame({'a': [1, 2]})", 2),
            code("listing = !echo hello\ncount = len(listing) + len(frame)", 3),
        ),
    )
    plan = make_plan(load(path))
    assert plan.requirements == ("tabulate==0.9.0",)
    codes = [s.code for f in plan.functions for s in f.statements]
    assert "frame = pd.DataFrame({'a': [1, 2]})" in codes
    assert any(c.startswith("listing = subprocess.run('echo hello', shell=True") for c in codes)
    assert any("subprocess.run" in w for w in plan.warnings)
    package = render(plan)
    text = "\n".join(v for k, v in package.files.items() if k.endswith(".py"))
    assert "import subprocess" in text and "%time" not in text and "matplotlib" not in text
