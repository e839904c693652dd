"""`nb2prod.api`: typed values back, nothing printed, never an exception for a bad notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nb2prod.convert.build
from nb2prod import api
from tests.helpers import code, md, notebook, write

SMALL = notebook(
    md("## Areas"),
    code("import math\nradii = [1.0, 2.0, 3.0]", 1),
    md("## Total"),
    code("areas = [math.pi * r ** 2 for r in radii]\ntotal = sum(areas)", 2),
)


@pytest.fixture
def small(tmp_path: Path) -> str:
    return str(write(tmp_path / "small.ipynb", SMALL))


def test_check_gives_one_value_per_notebook_and_never_raises(
    tmp_path: Path, small: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.ipynb").write_text("{not json")
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nspelling = "x"\n')
    run = api.check([str(tmp_path), str(tmp_path / "missing.ipynb")], jobs=1)
    assert [Path(r.path).name for r in run.results] == [
        "broken.ipynb",
        "small.ipynb",
        "missing.ipynb",
    ]
    broken, checked, missing = run.results
    assert isinstance(broken, api.Failed) and broken.kind == "invalid-json"
    assert isinstance(checked, api.Checked)
    assert isinstance(missing, api.Failed) and missing.kind == "not-found"
    assert len(run.warnings) == 1 and "unknown key 'spelling'" in run.warnings[0]
    assert json.loads(api.format_check(run.results, "json")) == api.check_document(run.results)
    assert capsys.readouterr() == ("", "")


def test_check_reads_the_configuration_afresh(tmp_path: Path) -> None:
    path = str(write(tmp_path / "late.ipynb", notebook(code("x = 1", 2), code("y = x", 1))))

    def codes() -> set[str]:  # NB101 is opt-in: selected here, ignored below by the file
        result = api.check([path], api.CheckRequest(extend_select=("NB101",))).results[0]
        assert isinstance(result, api.Checked)
        return {f.code for f in result.findings}

    assert "NB101" in codes()
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nignore = ["NB101"]\n')
    assert "NB101" not in codes()  # a long-lived caller sees the edit


def test_pin_failures_are_values(tmp_path: Path, small: str) -> None:
    failed = api.pin(small, api.PinOptions(python="/no/such/python"))
    assert isinstance(failed, api.Failed) and failed.path == "/no/such/python"
    assert api.describe(failed).startswith("/no/such/python: no such Python interpreter")


def test_convert_refusals_name_the_file_at_fault(tmp_path: Path, small: str) -> None:
    unsafe = api.convert(small, tmp_path, api.ConvertOptions(pin=False))
    assert isinstance(unsafe, api.Failed) and unsafe.kind == "output-unsafe"
    assert unsafe.path == str(tmp_path)
    bad = write(tmp_path / "bad.ipynb", notebook(code("x = 1", 1), code("print 'py2'", 2)))
    refused = api.convert(str(bad), tmp_path / "out", api.ConvertOptions(pin=False))
    assert isinstance(refused, api.Failed) and refused.kind == "unparsable-cell"
    assert (refused.cell, refused.cell_id) == (1, "c1")
    assert api.describe(refused).startswith(f"{bad}:cell 1")
    assert not (tmp_path / "out").exists()


def test_an_nb2prod_bug_is_a_value_naming_its_traceback(
    tmp_path: Path, small: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(nb2prod.convert.build, "make_plan", broken)
    failed = api.convert(small, tmp_path / "out", api.ConvertOptions(pin=False))
    assert isinstance(failed, api.Failed) and failed.kind == api.INTERNAL
    assert "KeyError" in failed.message and "please report" in failed.message
    traceback = Path(failed.message.rsplit("traceback in ", 1)[1].rstrip(")"))
    assert "a bug" in traceback.read_text()
    traceback.unlink()


@pytest.mark.slow
def test_convert_and_verify_reports_progress_and_prints_nothing(
    tmp_path: Path, small: str, capsys: pytest.CaptureFixture[str]
) -> None:
    events: list[api.Progress] = []
    options = api.ConvertOptions(name="areas", pin=False, second_run=False, progress=events.append)
    result = api.convert_and_verify(small, tmp_path / "pkg", options)
    assert capsys.readouterr() == ("", "")
    assert isinstance(result, api.ConvertedAndVerified)
    verified = result.verified
    assert isinstance(verified, api.Verified), verified
    assert verified.verification.verdict == "equivalent"
    assert verified.plan is result.converted.plan  # planned once
    assert verified.plan.package == "areas" and verified.dependencies is None  # --no-pin
    assert verified.report == tmp_path / "pkg" / api.REPORT and verified.report.is_file()
    stages = [e.stage for e in events]
    assert stages[:3] == [api.Stage.CONVERTING, api.Stage.WRITTEN, api.Stage.RUNNING]
    # the package said written is the one verified; after verification its modules carry the
    # captured types, so the result holds the annotated files
    written = events[1].converted
    assert written is not None and written.plan is result.converted.plan
    assert written.out_dir == result.converted.out_dir
    counted = [(e.done, e.total) for e in events if e.total]
    assert counted and counted[-1][0] == counted[-1][1]


@pytest.mark.slow
def test_verify_many_gives_one_result_per_notebook_in_order(tmp_path: Path, small: str) -> None:
    unconvertible = write(
        tmp_path / "old.ipynb", notebook(code("x = 1", 1), code("print 'python 2'", 2))
    )
    missing = str(tmp_path / "missing.ipynb")
    results = api.verify_many(
        [small, str(unconvertible), missing], api.VerifyOptions(second_run=False), jobs=2
    )
    first, second, third = results
    assert isinstance(first, api.Verified) and first.package_dir is None
    assert first.verification.verdict == "equivalent"
    assert isinstance(second, api.NotConverted) and second.refusal.kind == "unparsable-cell"
    assert isinstance(third, api.Failed) and third.kind == "not-found"
