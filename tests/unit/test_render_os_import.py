"""`%cd` and `%env` become os calls in the package, which then imports os itself."""

from __future__ import annotations

import ast
from pathlib import Path

from nb2prod.convert.plan import make_plan
from nb2prod.convert.render import render
from nb2prod.notebook.load import load
from tests.helpers import code, notebook, write


def test_a_module_using_cd_or_env_imports_os(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nb.ipynb",
        notebook(
            code("import pandas as pd", 1),
            code("%cd .\n%env MODE=test\ndf = pd.DataFrame({'a': [1, 2]})", 2),
            code("total = df['a'].sum()\ntotal", 3),
        ),
    )
    package = render(make_plan(load(str(path))))
    users = [
        text for name, text in package.files.items() if "os.chdir(" in text and name.endswith(".py")
    ]
    assert users, "the %cd statement was not carried into the package"
    for text in users:
        imported = {
            alias.name
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert "os" in imported
