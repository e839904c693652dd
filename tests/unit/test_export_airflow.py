"""`nb2prod export airflow`: what the DAG file holds, and the inputs it refuses (exit 2).

The golden demo package (tests/golden/demo__credit_approval) is copied into a temporary
folder; nothing here needs Airflow (tests/integration/test_airflow_export.py runs the DAG).
The params are checked against the package's real `Config`, imported from the copy.
"""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from nb2prod.cli import main

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
DEMO = GOLDEN / "demo__credit_approval"
NO_TRAIN = GOLDEN / "cases__NB101_clean_linear"  # a notebook that fits no model
DAG = "dags/credit_approval_train.py"


@pytest.fixture()
def demo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEMO, tmp_path / "credit_approval"))


def _config(package: Path) -> Any:
    """The package's `Config` class (config.py imports the standard library only)."""
    spec = importlib.util.spec_from_file_location(
        "exported_config", package / "src" / "credit_approval" / "config.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module.Config


def _dag_params(source: str) -> dict[str, tuple[object, dict[str, object]]]:
    """name -> (default, keywords) of every `Param(...)` in the DAG's `params`."""
    found: dict[str, tuple[object, dict[str, object]]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "Param":
                    assert isinstance(key, ast.Constant)
                    keywords = {
                        k.arg: ast.literal_eval(k.value)
                        for k in value.keywords
                        if k.arg and k.arg != "enum"
                    }
                    found[key.value] = (ast.literal_eval(value.args[0]), keywords)
    return found


def test_the_dag_has_a_param_per_config_field(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "airflow", str(demo), "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote Airflow DAG 'credit_approval_train' to {demo / DAG}" in out
    steps = "load_data -> prepare -> fit -> evaluate"
    assert f"configure -> {steps} -> save -> record_metrics" in out
    source = (demo / DAG).read_text()
    params = _dag_params(source)
    config = _config(demo)()
    for item in fields(config):
        default, keywords = params.pop(item.name)
        assert default == getattr(config, item.name), item.name
        expected = {int: "integer", float: "number", str: "string", list: "array"}
        assert keywords["type"] == expected[type(default)], item.name
    assert params["workdir"][0] == str(tmp_path)
    assert set(params) == {"workdir", "data", "artifacts", "runs_dir", "contracts"}
    # the comment config.py gives each field is its description
    assert _dag_params(source)["n_applicants"][1]["description"] == "N_APPLICANTS, cell 2"
    # TaskFlow: one decorated function per task, wired in the DAG's function
    tasks = [
        n.name
        for n in ast.parse(source).body
        if isinstance(n, ast.FunctionDef)
        and any(getattr(d, "id", "") == "task" for d in n.decorator_list)
    ]
    assert tasks == ["configure", "run_step", "save", "record_metrics"]
    # one task per step of train.py, in its order
    assert 'STEPS = ("load_data", "prepare", "fit", "evaluate")' in source


def test_the_dag_passes_ruff(demo: Path) -> None:
    assert main(["export", "airflow", str(demo)]) == 0
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.is_file():
        pytest.skip("ruff is not installed beside this interpreter")
    for check in (["check"], ["format", "--check", "--line-length", "88"]):
        done = subprocess.run(
            [str(ruff), *check, "--no-cache", str(demo / DAG)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_config_field_named_like_a_dag_param_is_renamed(demo: Path) -> None:
    config_py = demo / "src" / "credit_approval" / "config.py"
    text = config_py.read_text()
    anchor = "    seed: int = 42  # SEED, cell 2\n"
    assert anchor in text
    config_py.write_text(text.replace(anchor, anchor + '    data: str = "rows.csv"  # DATA\n'))
    assert main(["export", "airflow", str(demo)]) == 0
    source = (demo / DAG).read_text()
    params = _dag_params(source)
    assert params["config_data"][0] == "rows.csv"
    assert params["data"][0] == ""  # the DAG's own: the training rows
    assert '"config_data": "data",' in source


def test_reexport_replaces_its_own_file_only(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "airflow", str(demo)]) == 0
    assert main(["export", "airflow", str(demo)]) == 0  # its own file: replaced
    foreign = demo / "dags" / "mine.py"
    foreign.write_text("print('hand-written')\n")
    capsys.readouterr()
    assert main(["export", "airflow", str(demo), "--out", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert f"{foreign}: exists and was not written by nb2prod export" in err
    assert foreign.read_text() == "print('hand-written')\n"
    assert main(["export", "airflow", str(demo), "--out", str(foreign), "--force"]) == 0
    assert "Airflow DAG generated by nb2prod export airflow" in foreign.read_text()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp, "is not a package generated by nb2prod convert"),
        (lambda tmp: tmp / "missing", "is not a folder"),
        (
            lambda tmp: Path(shutil.copytree(NO_TRAIN, tmp / "linear")),
            "has no src/nb101_clean_linear/train.py: convert found no model to fit",
        ),
    ],
    ids=["not-generated", "missing", "no-train"],
)
def test_bad_input_is_exit_2_naming_the_folder(
    make: Any, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make(tmp_path)
    assert main(["export", "airflow", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nb2prod: error: {folder}: {message}"), err
    assert not list(tmp_path.rglob("*_train.py"))
