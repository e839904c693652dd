"""`nb2prod pin`, in-process: stdout holds only the document, stderr the findings; exit codes 0/1/2/3."""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import pytest

import nb2prod.pin
from nb2prod.cli import main
from tests.helpers import code, notebook, write

CASES = Path(__file__).parents[1] / "data" / "pin" / "cases"
FINDING_LINE = re.compile(
    r"^(?P<path>.+):cell (?P<cell>\d+):line (?P<line>\d+): (?P<code>NB20[1-4]) .+$"
)
# The test environment, not the notebook's kernelspec: the cases' kernels name no real environment.
PY = ["--python", sys.executable]


def test_clean_notebook_exits_zero_and_prints_requirements(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["pin", str(CASES / "clean.ipynb"), *PY]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("# Requirements of ")
    assert re.search(r"^numpy==\S+ +# installed in ", out, re.MULTILINE)


def test_findings_go_to_stderr_in_linter_shape_and_exit_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(CASES / "conflicting_evidence.ipynb")
    assert main(["pin", path, *PY]) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert lines and all(FINDING_LINE.match(line) for line in lines), err
    assert f"{path}:cell 1:line 1: NB203 requests installed from inside the notebook" in err
    assert f"{path}:cell 2:line 2: NB202 the notebook printed requests 2.1.0" in err
    assert not any(
        FINDING_LINE.match(line) for line in out.splitlines()
    )  # stdout stays a requirements file
    assert "requests==2.1.0" in out


def test_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pin", str(CASES / "listings.ipynb"), *PY, "--exit-zero"]) == 0
    assert "NB202" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["json", "pyproject"])
def test_formats_on_stdout(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    assert main(["pin", str(CASES / "listings.ipynb"), *PY, "--format", fmt, "--exit-zero"]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        doc = json.loads(out)
        assert {p["distribution"] for p in doc["pins"]} >= {"numpy", "pandas"}
        assert {f["code"] for f in doc["findings"]} == {"NB201", "NB202"}
    else:
        assert "numpy==1.0.1" in tomllib.loads(out)["project"]["dependencies"]


def test_kernel_not_installed_is_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pin", str(CASES / "python2_unparsable.ipynb"), "--exit-zero"]) == 0
    err = capsys.readouterr().err
    assert "nb2prod: note: kernel 'python2' is not installed here" in err


def test_missing_notebook_exits_two_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "nope.ipynb")
    assert main(["pin", missing]) == 2
    out, err = capsys.readouterr()
    assert out == "" and f"{missing}: no such file" in err


def test_bad_notebook_exits_two(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    assert main(["pin", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err
    r_nb = write(tmp_path / "r.ipynb", notebook(code("library(x)", 1), language="R"))
    assert main(["pin", str(r_nb)]) == 2
    assert "kernel language R is not supported" in capsys.readouterr().err


def test_bad_python_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pin", str(CASES / "clean.ipynb"), "--python", "/no/such/python"]) == 2
    assert "/no/such/python: no such Python interpreter" in capsys.readouterr().err


def test_internal_error_exits_three(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(nb2prod.pin, "pin_file", broken)
    assert main(["pin", str(CASES / "clean.ipynb")]) == 3
    assert "internal error" in capsys.readouterr().err


def test_config_ignore_applies(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the project root: configuration above it is not read
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nignore = ["NB203"]\n')
    path = write(
        tmp_path / "nb.ipynb",
        notebook(code("%pip install iniconfig", 1), code("import iniconfig", 2)),
    )
    assert main(["pin", str(path), *PY]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "iniconfig==" in out
