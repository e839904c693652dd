"""`api.plan` and `api.preview`: the plan convert follows, as a JSON-ready view, and a diff
against the package on disk that writes nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nb2prod import api

NO_PIN = api.ConvertOptions(pin=False)


def write_notebook(path: Path, cells: list[tuple[str, list[str]]]) -> str:
    nb = new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    nb.cells = [new_markdown_cell("# Areas")] + [
        new_code_cell(source, metadata={"tags": tags}) for source, tags in cells
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return str(path)


CELLS = [
    ("import math", []),
    ("SCALE = 2.0", []),
    ("radii = [1.0, 2.0, 3.0]", []),
    ("areas = [math.pi * r ** 2 * SCALE for r in radii]", ["nb2prod:model"]),
    ("total = sum(areas)  # nb2prod: business\nprint(total)", []),
    ("mean = total / len(areas)  # nb2prod: exploration", []),
]


@pytest.fixture
def notebook(tmp_path: Path) -> str:
    return write_notebook(tmp_path / "nb" / "areas.ipynb", CELLS)


def test_the_view_is_the_plan_convert_follows(notebook: str, tmp_path: Path) -> None:
    view = api.plan(notebook, NO_PIN)
    assert isinstance(view, api.PlanView)
    converted = api.convert(notebook, tmp_path / "pkg", NO_PIN)
    assert not isinstance(converted, api.Failed), converted
    assert view == api.plan_view(converted.plan)
    written = {f.name for f in converted.plan.functions}
    assert {f.name for f in view.functions} == written
    for function in view.functions:  # every function lands in a module that was written
        assert (
            tmp_path / "pkg" / "src" / converted.plan.package / f"{function.module}.py"
        ).is_file()


@pytest.mark.parametrize(
    ("cell", "position", "role", "kept", "reason"),
    [
        (1, 0, "import", True, "import"),
        (2, 0, "config", True, "literal"),
        (4, 0, "model", True, "cell tag nb2prod:model"),
        (5, 0, "business", True, "comment"),
        (6, 0, "exploration", False, "comment"),
    ],
)
def test_each_statement_shows_its_role_and_reason(
    notebook: str, cell: int, position: int, role: str, kept: bool, reason: str
) -> None:
    view = api.plan(notebook, NO_PIN)
    assert isinstance(view, api.PlanView)
    (statement,) = [s for s in view.cells()[cell] if s.position == position]
    assert (statement.role, statement.kept) == (role, kept)
    assert reason in statement.reason
    assert statement.cell_id == f"c{cell}"
    if role in ("model", "business"):
        assert statement.function and statement.module == role


def test_config_functions_and_left_out_are_json(notebook: str) -> None:
    view = api.plan(notebook, NO_PIN)
    assert isinstance(view, api.PlanView)
    document = json.loads(json.dumps(view.to_json()))
    assert "SCALE" in [c["name"] for c in document["config"]]
    assert document["modules"] == list(view.modules) and "model" in document["modules"]
    model = next(f for f in document["functions"] if f["module"] == "model")
    assert "areas" in model["returns"] and {"SCALE", "radii"} <= set(model["config"])
    left = [(s["cell"], s["code"]) for s in document["left_out"]]
    assert (6, "mean = total / len(areas)  # nb2prod: exploration") in left
    assert all(not s["kept"] for s in document["left_out"])


def test_a_notebook_that_cannot_be_planned_is_a_failure(tmp_path: Path) -> None:
    bad = write_notebook(tmp_path / "bad.ipynb", [("x = (", [])])
    failed = api.plan(bad, NO_PIN)
    assert isinstance(failed, api.Failed)
    assert failed.kind != api.INTERNAL and failed.cell == 1


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_preview_of_a_new_folder_lists_the_files_and_writes_nothing(
    notebook: str, tmp_path: Path
) -> None:
    out = tmp_path / "new"
    previewed = api.preview(notebook, out, NO_PIN)
    assert isinstance(previewed, api.Preview)
    assert not out.exists() and not previewed.exists
    assert previewed.changes == ()
    converted = api.convert(notebook, out, NO_PIN)
    assert not isinstance(converted, api.Failed), converted
    assert set(previewed.files) == set(converted.package.files)


def test_preview_over_a_package_diffs_it_and_writes_nothing(notebook: str, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    assert not isinstance(api.convert(notebook, out, NO_PIN), api.Failed)
    # what verify adds beside convert's files is not "removed" (convert + verify writes it again)
    (out / "nb2prod-run.html").write_text("<p>verify's page</p>")
    for written in ("test_golden.py", "test_edges.py", "test_predict.py", "test_contracts.py"):
        (out / "tests" / written).write_text("# written by verify\n")
    (out / "tests" / "fixtures" / "f").mkdir(parents=True)
    (out / "tests" / "fixtures" / "f" / "outputs.pkl").write_bytes(b"\x80")
    (out / "tests" / "_nb2prod_edges.py").write_text("# edges\n")
    same = api.preview(notebook, out, NO_PIN)
    assert isinstance(same, api.Preview) and same.exists and same.changes == ()

    changed = [(src.replace("2.0", "3.0") if src == "SCALE = 2.0" else src, t) for src, t in CELLS]
    changed.append(("volume = total * 2", ["nb2prod:business"]))
    write_notebook(Path(notebook), changed)
    (out / "stray.txt").write_text("left by hand")
    (out / "tests" / "test_mine.py").write_text("# a test of the package's owner\n")
    before = digest(out)
    previewed = api.preview(notebook, out, NO_PIN)
    assert isinstance(previewed, api.Preview)
    assert digest(out) == before  # nothing written
    by_path = {c.path: c for c in previewed.changes}
    assert by_path["stray.txt"].status == "removed"
    assert by_path["tests/test_mine.py"].status == "removed"
    diffs = "".join(c.diff for c in previewed.changes if c.status == "changed")
    assert "-    scale: float = 2.0" in diffs or "2.0" in diffs
    assert "+" in diffs and "3.0" in diffs and "volume" in diffs
    json.dumps(previewed.to_json())


def test_preview_of_an_unplannable_notebook_is_a_failure(tmp_path: Path) -> None:
    bad = write_notebook(tmp_path / "bad.ipynb", [("def f(:", [])])
    assert isinstance(api.preview(bad, tmp_path / "out", NO_PIN), api.Failed)
