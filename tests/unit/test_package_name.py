"""The package's import name: from --name or the notebook's file, never one `import` already finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.convert.plan import make_plan, package_name
from nb2prod.notebook.load import load
from tests.helpers import code, notebook, write


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("Churn Model (v2).ipynb", "churn_model_v2"),
        ("02_model.ipynb", "nb_02_model"),
        ("model.ipynb", "model_pkg"),  # a module of the package itself
        ("class.ipynb", "class_pkg"),  # a keyword
        ("json.ipynb", "json_pkg"),  # would hide the standard library's json
        ("---.ipynb", "notebook"),
    ],
)
def test_name_from_the_file(tmp_path: Path, file: str, expected: str) -> None:
    assert package_name(str(tmp_path / file)) == expected


def test_a_jupytext_notebook_is_itself_the_module_of_its_name(tmp_path: Path) -> None:
    notebook = tmp_path / "analysis.py"
    notebook.write_text("# %%\nx = 1\n", "utf-8")
    assert package_name(str(notebook)) == "analysis_pkg"
    # the same name in another format, alone in its folder, keeps it
    assert package_name(str(tmp_path / "elsewhere" / "analysis.md")) == "analysis"


def test_a_module_or_package_beside_the_notebook_is_not_hidden(tmp_path: Path) -> None:
    (tmp_path / "churn.py").write_text("def helper(): ...\n", "utf-8")
    (tmp_path / "scoring").mkdir()
    (tmp_path / "scoring" / "__init__.py").write_text("", "utf-8")
    (tmp_path / "report").mkdir()  # a plain folder (a package convert wrote) is no module
    assert package_name(str(tmp_path / "churn.ipynb")) == "churn_pkg"
    assert package_name(str(tmp_path / "scoring.ipynb")) == "scoring_pkg"
    assert package_name(str(tmp_path / "report.ipynb")) == "report"


def test_a_requested_name_is_kept(tmp_path: Path) -> None:
    (tmp_path / "churn.py").write_text("", "utf-8")
    assert package_name(str(tmp_path / "churn.ipynb"), "churn") == "churn"
    assert package_name(str(tmp_path / "churn.ipynb"), "Churn Scoring") == "churn_scoring"


def test_a_library_the_notebook_imports_is_not_hidden(tmp_path: Path) -> None:
    assert package_name(str(tmp_path / "seaborn.ipynb"), None, {"seaborn", "pandas"}) == (
        "seaborn_pkg"
    )
    path = write(
        tmp_path / "seaborn.ipynb",
        notebook(code("import seaborn.objects as so\nimport pandas as pd\nx = pd.Series([1])", 1)),
    )
    assert make_plan(load(str(path))).package == "seaborn_pkg"
    other = write(tmp_path / "tips.ipynb", notebook(code("import seaborn as sns\nx = 1", 1)))
    assert make_plan(load(str(other))).package == "tips"
