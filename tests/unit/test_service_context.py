"""The service's template context (nb2prod/convert/service.py) and the serve.py it renders.

The demo notebook is converted once (no run): its serve.py is code a team keeps (black, ruff
and mypy strict pass on it). Its request model is built when the service starts, from the
contract `train` learned of the input frame: here it is built from the profile the package's
own `contracts.profile` makes of a frame with every awkward kind of label and dtype (text,
flags, times, nullable integers, labels that are no Python name), which the demo's input
does not have, and it reads and refuses what it should.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nb2prod.convert.service import SERVE_EXTRA, SERVE_REQUIREMENTS, service_context

pydantic = pytest.importorskip("pydantic")
pytest.importorskip("fastapi")
pytest.importorskip("pandera")
pytest.importorskip("skops")

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "sample_notebooks" / "demo" / "credit_approval.ipynb"
# mypy settings a generated package needs: these libraries ship no type information here.
MYPY_INI = "[mypy]\nstrict = True\npython_version = 3.10\nfollow_imports = silent\n" + "".join(
    f"[mypy-{name}.*]\nignore_missing_imports = True\n" for name in ("skops", "pandas", "pandera")
)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lock_file": "poetry.lock"}, "lock file"),
        ({"python_version": "3"}, "python version"),
        ({"frame": "not a name"}, "frame"),
    ],
)
def test_context_refuses_what_convert_never_writes(changes: dict[str, Any], message: str) -> None:
    given: dict[str, Any] = {
        "package": "pkg",
        "notebook_name": "nb.ipynb",
        "frame": "df",
        "python_version": "3.11",
        "lock_file": None,
    }
    with pytest.raises(ValueError, match=message):
        service_context(**{**given, **changes})


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "pkg"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nb2prod",
            "convert",
            str(DEMO),
            "--no-verify",
            "--no-pin",
            "--out",
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def test_package_gets_the_service_its_extra_and_container(package: Path) -> None:
    assert (package / "src" / "credit_approval" / "serve.py").is_file()
    pyproject = (package / "pyproject.toml").read_text()
    pins = ", ".join(f'"{r}"' for r in SERVE_REQUIREMENTS)
    assert f"{SERVE_EXTRA} = [{pins}]" in pyproject
    dockerfile = (package / "Dockerfile").read_text()
    assert "COPY requirements.lock" not in dockerfile and "COPY pylock.toml" not in dockerfile
    assert "pip install --no-cache-dir ." in dockerfile  # --no-pin: no lock file to install
    assert "!src/" in (package / ".dockerignore").read_text()


def test_rendered_serve_passes_black_ruff_and_mypy_strict(package: Path) -> None:
    file = package / "src" / "credit_approval" / "serve.py"
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
    (package / "mypy.ini").write_text(MYPY_INI)
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "src/credit_approval/serve.py"],
        cwd=package,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


@pytest.fixture
def modules(package: Path) -> Iterator[SimpleNamespace]:
    sys.path.insert(0, str(package / "src"))
    try:
        yield SimpleNamespace(
            serve=importlib.import_module("credit_approval.serve"),
            contracts=importlib.import_module("credit_approval.contracts"),
            artifact=importlib.import_module("credit_approval.artifact"),
        )
    finally:
        sys.path.remove(str(package / "src"))
        for name in [n for n in sys.modules if n.startswith("credit_approval")]:
            del sys.modules[name]


def _awkward() -> pd.DataFrame:
    rows = 12
    return pd.DataFrame(
        {
            "income": np.linspace(1_000, 9_000, rows),
            "Annual Income": np.r_[np.nan, np.linspace(1, 2, rows - 1)],
            "age": np.arange(rows, dtype="int64"),
            "flag": np.arange(rows) % 2 == 0,
            "class": pd.Series(["a", "b"] * (rows // 2), dtype=object),
            "seen": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(rows), "D"),
            "model_id": pd.array([*range(rows - 1), None], dtype="Int64"),
            "grade": pd.Categorical(["x", "y", "z"] * (rows // 3)),
            "mixed": pd.Series([1, "a"] * (rows // 2), dtype=object),  # values of two types
            "label": np.arange(rows) % 2,  # the target: no request carries it
        }
    )


def _artifact(modules: SimpleNamespace, baseline: object, inputs: object = None) -> Any:
    metadata = SimpleNamespace(inputs=inputs or {})
    return SimpleNamespace(path=Path("a"), metadata=metadata, objects={"baseline": baseline})


def _requests(modules: SimpleNamespace) -> Any:
    profile = modules.contracts.profile(_awkward(), ["label"])
    baseline = {"contracts": {modules.serve.FRAME: profile}}
    return modules.serve.request_model(_artifact(modules, baseline), 10)


GOOD = {
    "income": 5_000,  # an int is a float's value too
    "Annual Income": None,
    "age": 31,
    "flag": True,
    "class": "a",
    "seen": "2024-03-01T12:00:00",
    "model_id": None,
    "grade": "y",
    "mixed": 3,
}


def test_fields_follow_the_learned_contract(modules: SimpleNamespace) -> None:
    assert _requests(modules).types() == {
        "income": "float",
        "Annual Income": "float | None",
        "age": "int",
        "flag": "bool",
        "class": "str",
        "seen": "NaiveDatetime",
        "model_id": "int | None",
        "grade": "str",
        "mixed": "JsonValue",
    }


def test_a_good_batch_becomes_the_frame_predict_receives(modules: SimpleNamespace) -> None:
    requests = _requests(modules)
    batch = requests.batch.validate_json(pydantic.TypeAdapter(list[Any]).dump_json([GOOD, GOOD]))
    frame = requests.frame(batch)
    expected = _awkward().drop(columns=["label"])
    assert list(frame.columns) == list(expected.columns)
    assert frame.dtypes.astype(str).tolist() == expected.dtypes.astype(str).tolist()
    assert list(frame["grade"].cat.categories) == ["x", "y", "z"]
    assert frame["seen"].iloc[0] == datetime(2024, 3, 1, 12)
    assert frame["Annual Income"].isna().all() and frame["age"].tolist() == [31, 31]


@pytest.mark.parametrize(
    ("change", "field", "check"),
    [
        ({"income": "5000"}, "income", "float_type"),
        ({"age": True}, "age", "int_type"),
        ({"flag": 1}, "flag", "bool_type"),
        ({"class": None}, "class", "string_type"),
        ({"class": 3}, "class", "string_type"),
        ({"seen": "2024-03-01T12:00:00+00:00"}, "seen", "timezone_naive"),
        ({"extra": 1}, "extra", "extra_forbidden"),
        ({"label": 1}, "label", "extra_forbidden"),
        ({"Annual Income": float("inf")}, "Annual Income", "finite_number"),
    ],
)
def test_record_refuses_what_the_data_never_held(
    modules: SimpleNamespace, change: dict[str, Any], field: str, check: str
) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        _requests(modules).record.model_validate({**GOOD, **change})
    [error] = caught.value.errors()
    assert (error["loc"][0], error["type"]) == (field, check)


def test_batch_limits(modules: SimpleNamespace) -> None:
    requests = _requests(modules)
    for size, check in ((0, "too_short"), (11, "too_long")):
        with pytest.raises(pydantic.ValidationError) as caught:
            requests.batch.validate_python([GOOD] * size)
        assert [e["type"] for e in caught.value.errors()] == [check]


def test_without_a_learned_contract_the_metadata_inputs_serve(modules: SimpleNamespace) -> None:
    column = modules.artifact.InputColumn
    inputs = {modules.serve.FRAME: (column("x", "float64", True), column("n", "int64", False))}
    requests = modules.serve.request_model(_artifact(modules, {}, inputs), 5)
    assert requests.types() == {"x": "float | None", "n": "int"}


def test_an_artifact_without_columns_cannot_be_served(modules: SimpleNamespace) -> None:
    with pytest.raises(modules.artifact.ArtifactError, match="no column"):
        modules.serve.request_model(_artifact(modules, {}), 5)
