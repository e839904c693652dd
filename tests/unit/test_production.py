"""What `convert` generates of train and predict for each fit-boundary case (in memory):
train.py exactly when something fitted is kept, predict.py exactly when the boundary is
predictable, and otherwise the reports name each blocking statement (cell and line)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from nb2prod.convert.build import build
from nb2prod.convert.fit import boundary_of_plan
from nb2prod.convert.plan import make_plan
from nb2prod.notebook.load import load

CASES = sorted((Path(__file__).parents[1] / "cases" / "fit_boundary").glob("*.py"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_train_and_predict_follow_the_boundary(path: Path) -> None:
    boundary = boundary_of_plan(make_plan(load(str(path))))
    plan, package = build(str(path), pin=False)
    files = package.files
    source = f"src/{plan.package}"
    report = json.loads(files["nb2prod-report.json"])
    if boundary is None:
        assert "production" not in report and f"{source}/train.py" not in files
        return
    made = report["production"]
    assert made["train"] == bool(boundary.fitted) == (f"{source}/train.py" in files)
    has_predict = f"{source}/predict.py" in files
    assert made["predict"] == has_predict
    assert has_predict == (boundary.predictable and len(boundary.inputs) == 1)
    for path_, text in files.items():
        if path_.endswith(".py"):
            ast.parse(text)
    markdown = files["nb2prod-report.md"]
    for problem in boundary.blocking:
        where = f"cell {problem.cell}, line {problem.line}: {problem.detail}"
        assert where in made["reasons"][0] or any(where in r for r in made["reasons"])
        assert where in markdown
    if has_predict:
        predict = files[f"{source}/predict.py"]
        assert "check_input(" in predict
        # the target is never read by predict's statements
        if boundary.target is not None:
            body = predict.split("def predict(", 1)[1].splitlines()
            # read nowhere but in a drop that tolerates its absence
            reading = [line for line in body if 'errors="ignore"' not in line]
            for column in boundary.target.columns:
                assert not any(f'"{column}"' in line for line in reading), column
        scripts = files["pyproject.toml"].split("[project.scripts]", 1)[1]
        assert "-predict = " in scripts and "-train = " in scripts
