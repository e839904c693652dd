"""The service's template context (nb2prod/convert/service.py) and the serve.py it renders.

Each column of the frame `predict` receives becomes a field of the generated `Record` model:
its JSON key is the column's label, its Python attribute a name pydantic can hold. The rendered
module, for a frame with every awkward kind of label and dtype, is code a team keeps: black,
ruff and mypy strict pass on it, and its `Record` reads and refuses what it should.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nb2prod.convert.artifact import TrustList, TrustSource, artifact_context
from nb2prod.convert.contracts import FrameProfile, profile_frame
from nb2prod.convert.render import render_template
from nb2prod.convert.service import (
    ServiceUnavailable,
    _usable,
    attribute_name,
    service_context,
)

pydantic = pytest.importorskip("pydantic")
pytest.importorskip("fastapi")

REPO = Path(__file__).resolve().parents[2]
# mypy settings a generated package needs: these libraries ship no type information here.
MYPY_INI = "[mypy]\nstrict = True\npython_version = 3.10\n" + "".join(
    f"[mypy-{name}.*]\nignore_missing_imports = True\n" for name in ("skops", "pandas", "pandera")
)


@pytest.mark.parametrize(
    ("key", "taken", "expected"),
    [
        ("income", set(), "income"),
        ("Annual Income", set(), "annual_income"),
        ("class", set(), "class_field"),
        ("json", set(), "json_field"),  # a BaseModel method
        ("model_id", set(), "model_id_field"),  # pydantic's own prefix
        ("_private", set(), "private"),
        ("0", set(), "column_0"),
        ("Ünïcode", set(), "n_code"),
        ("a_b", {"a_b"}, "a_b_2"),  # "a b" took it first
        ("%", set(), "field"),
    ],
)
def test_attribute_name(key: str, taken: set[str], expected: str) -> None:
    assert attribute_name(key, taken) == expected


def test_every_public_basemodel_attribute_is_avoided() -> None:
    names = [n for n in dir(pydantic.BaseModel) if not n.startswith("_")]
    assert names and not [n for n in names if _usable(n)]


def _awkward() -> pd.DataFrame:
    rows = 12
    frame = pd.DataFrame(
        {
            "income": np.linspace(1_000, 9_000, rows),
            "Annual Income": np.r_[np.nan, np.linspace(1, 2, rows - 1)],
            "age": np.arange(rows, dtype="int64"),
            "flag": np.arange(rows) % 2 == 0,
            "class": pd.Series(["a", "b"] * (rows // 2), dtype=object),
            "seen": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(rows), "D"),
            "model_id": pd.array([*range(rows - 1), None], dtype="Int64"),
        }
    )
    frame[3] = np.arange(rows, dtype="int64")  # an int label (a frame made from an array)
    return frame


def test_fields_follow_the_profile() -> None:
    context = service_context(
        package="pkg",
        notebook_name="nb.ipynb",
        profile=profile_frame(_awkward(), "applicants"),
        contracts=False,
        gate=False,
        python_version="3.11",
        lock_file="requirements.lock",
    )
    found = [(f.key, f.attribute, f.annotation, f.dtype, f.label) for f in context.fields]
    assert found == [
        ('"income"', "income", "float", '"float64"', '"income"'),
        ('"Annual Income"', "annual_income", "float | None", '"float64"', '"Annual Income"'),
        ('"age"', "age", "int", '"int64"', '"age"'),
        ('"flag"', "flag", "bool", '"bool"', '"flag"'),
        ('"class"', "class_field", "str", '"object"', '"class"'),
        ('"seen"', "seen", "NaiveDatetime", f'"{_awkward()["seen"].dtype}"', '"seen"'),
        ('"model_id"', "model_id_field", "int | None", '"Int64"', '"model_id"'),
        ('"3"', "column_3", "int", '"int64"', "3"),
    ]
    assert context.relabel
    assert context.pydantic_names == ("BaseModel", "ConfigDict", "Field", "NaiveDatetime")


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"1": [1.0], 1: [2.0]}), "two columns are labelled '1'"),
        (pd.DataFrame({"x": [[1], [2]]}), "no JSON field can carry them"),
        (pd.DataFrame(), "has no column"),
    ],
    ids=["same-text-labels", "lists", "no-column"],
)
def test_frames_no_request_can_carry_are_refused(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(ServiceUnavailable, match=message):
        service_context(
            package="pkg",
            notebook_name="nb.ipynb",
            profile=profile_frame(frame, "f"),
            contracts=False,
            gate=False,
            python_version="3.11",
            lock_file="pylock.toml",
        )


PREDICT = '''"""Stand-in for the generated predict module."""

from __future__ import annotations

import pandas as pd

from {package}.artifact import Artifact


def predict(frame: pd.DataFrame, artifact: Artifact) -> pd.DataFrame:
    return frame
'''


def _render(root: Path, package: str, profile: FrameProfile, guarded: bool) -> Path:
    source = root / package
    source.mkdir(parents=True)
    (source / "__init__.py").write_text("")
    trust = TrustList((), TrustSource.CAPTURED)
    context = artifact_context(
        package=package,
        notebook_name="nb.ipynb",
        notebook_source=b"{}",
        trust=trust,
        distributions=("pandas",),
    )
    (source / "artifact.py").write_text(render_template("artifact.py.j2", **context.values()))
    (source / "predict.py").write_text(PREDICT.format(package=package))
    if guarded:
        from nb2prod.convert.contracts import contracts_context

        contracts = contracts_context(package=package, notebook_name="nb.ipynb", profiles=[profile])
        (source / "contracts.py").write_text(
            render_template("contracts.py.j2", **contracts.values())
        )
        (source / "gate.py").write_text(render_template("gate.py.j2", package=package))
    service = service_context(
        package=package,
        notebook_name="nb.ipynb",
        profile=profile,
        contracts=guarded,
        gate=guarded,
        python_version="3.11",
        lock_file="pylock.toml",
    )
    file = source / "serve.py"
    file.write_text(render_template("serve.py.j2", **service.values()))
    return file


@pytest.mark.parametrize("guarded", [True, False], ids=["contracts-and-gate", "plain"])
def test_rendered_serve_passes_black_ruff_and_mypy_strict(tmp_path: Path, guarded: bool) -> None:
    file = _render(tmp_path, "svc_pkg", profile_frame(_awkward(), "applicants"), guarded)
    black = pytest.importorskip("black")
    text = file.read_text()
    assert black.format_str(text, mode=black.Mode()) == text  # convert's black leaves it as is
    ruff = subprocess.run(
        [
            *(sys.executable, "-m", "ruff", "check", "--no-cache", str(file)),
            *("--config", str(REPO / "pyproject.toml"), "--config", "target-version = 'py310'"),
        ],
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    (tmp_path / "mypy.ini").write_text(MYPY_INI)
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "svc_pkg/serve.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


@pytest.fixture
def serve(tmp_path: Path) -> Any:
    _render(tmp_path, "svc_awkward", profile_frame(_awkward(), "applicants"), guarded=False)
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("svc_awkward.serve")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("svc_awkward")]:
            del sys.modules[name]


GOOD = {
    "income": 5_000,  # an int is a float's value too
    "Annual Income": None,
    "age": 31,
    "flag": True,
    "class": "a",
    "seen": "2024-03-01T12:00:00",
    "model_id": None,
    "3": 7,
}


def test_record_reads_a_good_row_into_the_frame_predict_receives(serve: Any) -> None:
    record = serve.Record.model_validate(GOOD)  # as FastAPI does, after json.loads
    frame = serve.to_frame([record, record])
    assert list(frame.columns) == list(_awkward().columns)
    assert frame.dtypes.astype(str).tolist() == _awkward().dtypes.astype(str).tolist()
    assert frame["seen"].iloc[0] == datetime(2024, 3, 1, 12)
    assert frame["Annual Income"].isna().all() and frame[3].tolist() == [7, 7]


@pytest.mark.parametrize(
    ("change", "field", "check"),
    [
        ({"income": "5000"}, "income", "float_type"),
        ({"age": True}, "age", "int_type"),
        ({"flag": 1}, "flag", "bool_type"),
        ({"class": None}, "class", "string_type"),
        ({"seen": "2024-03-01T12:00:00+00:00"}, "seen", "timezone_naive"),
        ({"extra": 1}, "extra", "extra_forbidden"),
        ({"Annual Income": float("inf")}, "Annual Income", "finite_number"),
    ],
)
def test_record_refuses_what_the_data_never_held(
    serve: Any, change: dict[str, Any], field: str, check: str
) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        serve.Record.model_validate({**GOOD, **change})
    [error] = caught.value.errors()
    assert (error["loc"][0], error["type"]) == (field, check)
