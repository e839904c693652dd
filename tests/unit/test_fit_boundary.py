"""The fit boundary on small notebooks: each tests/cases/fit_boundary/NAME.py (a jupytext percent
notebook) is planned, and its boundary compared with NAME.json beside it.

Statements are named by their first line of code (comments skipped), so a case reads like the
notebook. Keys of the JSON, each compared exactly when present:
- `boundary`: null when nothing is fitted (then no other key);
- `fitted`: [name, api, kind] per fitted object, in fit order (the model last);
- `target`: [name, [columns], frame] or null;
- `inputs`: the names the predict slice reads as its input; `renames`: {held-out: slice name};
- `split`, `predict`, `business`, `train`, `metrics`: statements, in page order;
- `predictions`: [fitted, method, matrix, output, made by the notebook (else by predict)];
- `edits`: {statement: code it runs as in the predict slice};
- `namings`: {statement: code train runs instead, naming an object fitted on the spot};
- `learned`: {name: statement binding it}, the column selections train records for predict;
- `problems`: [kind, cell, line] for every problem, blocking or not.
Adding a case needs no code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nb2prod.analysis.statements import Statement
from nb2prod.convert.fit import BLOCKING, FitBoundary, ProblemKind, boundary_of_plan
from nb2prod.convert.plan import make_plan
from nb2prod.notebook.load import load
from nb2prod.notebook.model import Notebook

CASES = Path(__file__).parents[1] / "cases" / "fit_boundary"
NOTEBOOKS = sorted(CASES.glob("*.py"))


def _texts(notebook: Notebook, statements: list[Statement]) -> list[str]:
    """Each statement's first line as the notebook wrote it (the plan may rewrite code)."""
    return [notebook.cells[st.cell].source.splitlines()[st.line - 1].strip() for st in statements]


def _actual(boundary: FitBoundary | None, text: list[str]) -> dict[str, Any]:
    if boundary is None:
        return {"boundary": None}

    def texts(indices: tuple[int, ...]) -> list[str]:
        return [text[i] for i in indices]

    target = boundary.target
    return {
        "fitted": [[f.name, f.api, f.kind] for f in boundary.fitted],
        "target": [target.name, list(target.columns), target.frame] if target else None,
        "inputs": [i.name for i in boundary.inputs],
        "renames": dict(boundary.renames),
        "split": texts(boundary.split),
        "predictions": [
            [p.fitted, p.method, p.matrix, p.output, p.statement is not None]
            for p in boundary.predictions
        ],
        "predict": texts(boundary.predict),
        "business": texts(boundary.business),
        "train": texts(boundary.train),
        "metrics": texts(boundary.metrics),
        "edits": {text[e.statement]: e.code for e in boundary.edits},
        "namings": {text[e.statement]: e.code for e in boundary.namings},
        "learned": {name: text[at] for name, at in boundary.learned},
        "problems": [[p.kind.value, p.cell, p.line] for p in boundary.problems],
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_fit_boundary_case(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text("utf-8"))
    notebook = load(str(path))
    plan = make_plan(notebook)
    boundary = boundary_of_plan(plan)
    actual = _actual(boundary, _texts(notebook, [p.statement for p in plan.statements]))
    for key, value in expected.items():
        assert actual.get(key) == value, f"{key} of {path.name}"
    if boundary is not None:
        # no predictions exactly when a blocking problem says why
        assert (not boundary.predictions) == any(p.blocking for p in boundary.problems)
        assert boundary.predictable == bool(boundary.predictions)
        assert set(boundary.business) <= set(boundary.predict)
        assert set(boundary.metrics) <= set(boundary.train)


def test_every_case_has_its_expectation() -> None:
    assert NOTEBOOKS, "no cases found"
    assert all(p.with_suffix(".json").exists() for p in NOTEBOOKS)


def test_the_cases_cover_every_blocking_kind() -> None:
    """Each reason predict can be refused is shown by some case."""
    seen = {
        kind
        for p in NOTEBOOKS
        for kind, *_ in json.loads(p.with_suffix(".json").read_text("utf-8")).get("problems", [])
    }
    missing = {k.value for k in BLOCKING} - seen
    assert not missing, f"no case shows {sorted(missing)}"


def test_the_demo_notebook_splits_at_its_classifier() -> None:
    demo = Path(__file__).parents[2] / "sample_notebooks" / "demo" / "credit_approval.ipynb"
    notebook = load(str(demo))
    plan = make_plan(notebook)
    text = _texts(notebook, [p.statement for p in plan.statements])
    boundary = boundary_of_plan(plan)
    assert boundary is not None and boundary.predictable
    assert [f.name for f in boundary.fitted] == ["model"]
    assert boundary.target is not None and boundary.target.columns == ("default",)
    predict = [text[i] for i in boundary.predict]
    train = [text[i] for i in boundary.train]
    # the data is generated and written before it is read: training needs that, scoring not
    assert "raw.to_csv(DATA_PATH, index=False)" in train
    assert not any("to_csv" in t or "read_csv" in t for t in predict)
    assert 'y = df_feat["default"]' in train and 'y = df_feat["default"]' not in predict
    assert predict[-2:] == [
        "scored = decide(df_feat.loc[X_test.index], proba_test)",
        "summary = (",
    ]
    assert [i.name for i in boundary.inputs] == ["df"]
    assert dict(boundary.renames) == {"X_test": "X"}
    # the median of the scored rows is not the median of the training rows
    assert [p.kind for p in boundary.problems] == [ProblemKind.BATCH_STATISTIC]
