"""After verification, the package's signatures and `Results` carry the types the runs captured.

End to end with real kernels on the demo: convert + verify, then read the written modules.
The annotations must type-check (mypy on the written package), leave the verdict equivalent,
and change nothing the package runs; a module a user edited is left alone.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod import api
from nb2prod.core.vocabulary import Verdict

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
OPTIONS = api.ConvertOptions(pin=False, second_run=False, confirm=False)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, api.ConvertedAndVerified]:
    work = tmp_path_factory.mktemp("annotations")
    shutil.copy(DEMO, work / DEMO.name)
    result = api.convert_and_verify(str(work / DEMO.name), work / "pkg", OPTIONS)
    assert not isinstance(result, api.Failed), result
    return work / "pkg", result


def _function(package: Path, module: str, name: str) -> ast.FunctionDef:
    tree = ast.parse((package / "src" / "credit_approval" / f"{module}.py").read_text())
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)


def _signature(function: ast.FunctionDef) -> tuple[dict[str, str], str]:
    params = {a.arg: ast.unparse(a.annotation) for a in function.args.args if a.annotation}
    return params, ast.unparse(function.returns) if function.returns else ""


def test_train_model_is_typed_from_capture(demo: tuple[Path, api.ConvertedAndVerified]) -> None:
    package, result = demo
    verified = result.verified
    assert isinstance(verified, api.Verified)
    assert verified.verification.verdict is Verdict.EQUIVALENT
    params, returns = _signature(_function(package, "model", "train_model"))
    assert params == {"X": "pd.DataFrame", "y": "pd.Series", "config": "Config"}
    assert returns == "tuple[pd.DataFrame, np.ndarray, float, GradientBoostingClassifier]"
    # what verification recorded, per function, is what the annotations say
    captured = verified.verification.types["train_model"]
    assert captured.params == {"X": "pandas.DataFrame", "y": "pandas.Series"}
    assert captured.returns["model"] == "sklearn.ensemble.GradientBoostingClassifier"
    assert captured.returns["auc"] in ("numpy.float64", "builtins.float")  # by sklearn version
    assert verified.annotations is not None
    typed, untyped = verified.annotations.counts()
    assert typed > 0 and untyped == 0
    # the result carries the files as written
    written = (package / "src" / "credit_approval" / "model.py").read_text()
    assert result.converted.package.files["src/credit_approval/model.py"] == written


def test_results_fields_are_typed(demo: tuple[Path, api.ConvertedAndVerified]) -> None:
    package, _ = demo
    tree = ast.parse((package / "src" / "credit_approval" / "pipeline.py").read_text())
    results = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Results")
    fields = {
        ast.unparse(n.target): ast.unparse(n.annotation)
        for n in results.body
        if isinstance(n, ast.AnnAssign)
    }
    assert fields, "Results has no fields"
    assert all(a != "Any" for a in fields.values()), fields
    assert fields["proba_test"] == "np.ndarray | None"
    assert fields["auc"] == "float | None"


def test_annotations_type_check_and_change_nothing_at_run_time(
    demo: tuple[Path, api.ConvertedAndVerified],
) -> None:
    package, result = demo
    # the modules the annotations were written into (other modules are checked where made)
    annotated = [
        f"src/credit_approval/{m}.py" for m in (*result.converted.plan.modules, "pipeline")
    ]
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--ignore-missing-imports",
            "--follow-imports=silent",
            "--no-incremental",
            *annotated,
        ],
        cwd=package,
        env={**os.environ, "MYPYPATH": str(package / "src")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # imported for annotations only: never at run time
    for path in (package / "src" / "credit_approval").glob("*.py"):
        tree = ast.parse(path.read_text())
        guarded = [
            n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
        ]
        assert all(isinstance(i, (ast.Import, ast.ImportFrom)) for g in guarded for i in g.body)
    # the package still runs as verified
    env = {**os.environ, "PYTHONPATH": str(package / "src"), "MPLBACKEND": "Agg"}
    ran = subprocess.run(
        [sys.executable, "-c", "from credit_approval import pipeline; print(pipeline.run().auc)"],
        cwd=package.parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert ran.returncode == 0, ran.stderr
    assert 0.5 < float(ran.stdout.strip().splitlines()[-1]) <= 1.0


def test_verify_leaves_an_edited_module_alone(tmp_path: Path) -> None:
    shutil.copy(DEMO, tmp_path / DEMO.name)
    converted = api.convert(str(tmp_path / DEMO.name), tmp_path / "pkg", OPTIONS)
    assert not isinstance(converted, api.Failed), converted
    module = tmp_path / "pkg" / "src" / "credit_approval" / "features.py"
    edited = module.read_text() + "\n\nREVIEWED = True\n"
    module.write_text(edited)
    before = {p: p.read_text() for p in module.parent.glob("*.py")}
    verified = api.verify(str(tmp_path / DEMO.name), tmp_path / "pkg", OPTIONS.verify_options)
    assert isinstance(verified, api.Verified)
    assert verified.verification.verdict is Verdict.EQUIVALENT
    assert verified.verification.types["train_model"].params  # captured all the same
    assert verified.annotations is None
    assert {p: p.read_text() for p in module.parent.glob("*.py")} == before
