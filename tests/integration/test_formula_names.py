"""Names used inside formula and query strings, end to end: `check` sees them, `convert` reaches them.

patsy evaluates `double_it` and `np` of `smf.glm("y ~ double_it(x) + np.log(x)", ...)` in the
caller's frame, and pandas reads `@min_x` of `df.query(...)` from it, so the generated function
that holds those strings must have the three names at hand (nb2prod/analysis/embedded.py).
"""

from __future__ import annotations

import ast
import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from nb2prod.cli import ExitCode, main
from tests.helpers import code, md, notebook, write

IMPORTS = "import numpy as np\nimport pandas as pd\nimport statsmodels.formula.api as smf"
DATA = (
    "df = pd.DataFrame({'x': np.arange(1.0, 31.0), 'g': ['a', 'b', 'c'] * 10})\n"
    "df['y'] = 3.0 + 0.5 * df['x'] + df['x'] % 7"
)
DOUBLE_IT = "def double_it(v):\n    return v * 2"
MODEL = (
    'train = df.query("x >= @min_x")\n'
    'params = smf.glm("y ~ double_it(x) + np.log(x) + C(g)", data=train).fit().params'
)


def _notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return notebook(md("# Formula model"), code(IMPORTS, 1, outputs=[]), *cells)


def _convert(path: Path, out: Path) -> tuple[int, str]:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        status = main(["convert", str(path), "--out", str(out), "--no-second-run"])
    return status, buffer.getvalue()


@pytest.mark.slow
def test_names_in_a_formula_and_a_query_reach_the_function_that_evaluates_them(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "formula_names.ipynb",
        _notebook(
            md("## Data"),
            code(DATA, 2, outputs=[]),
            md("## Features"),
            code("min_x = 2.0", 3, outputs=[]),
            code(DOUBLE_IT, 4, outputs=[]),
            md("## Model"),
            code(MODEL, 5, outputs=[]),
        ),
    )
    status, out = _convert(path, tmp_path / "pkg")
    assert status == ExitCode.OK, out
    assert "EQUIVALENT" in out
    report = json.loads((tmp_path / "pkg" / "nb2prod-report.json").read_text())["verification"]
    assert report["verdict"] == "equivalent"
    # the module holding the formula binds every name the strings read (imported or its own)
    modules = (tmp_path / "pkg" / "src" / "formula_names").glob("*.py")
    (holder,) = [m for m in modules if "double_it(x)" in m.read_text()]
    tree = ast.parse(holder.read_text())
    bound = {
        a.asname or a.name.split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in n.names
    }
    bound |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert {"double_it", "np", "smf"} <= bound
    assert "min_x" in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


@pytest.mark.parametrize(
    ("cells", "rule", "name"),
    [
        (
            (code(DATA, 2), code("min_x = 2.0", 3), code(MODEL, 4), code(DOUBLE_IT, 5)),
            "NB103",
            "double_it",
        ),
        ((code(DATA, 2), code("min_x = 2.0", 3), code(MODEL, 4)), "NB104", "double_it"),
        ((code(DATA, 2), code(DOUBLE_IT, 3), code(MODEL, 4)), "NB104", "min_x"),
    ],
    ids=["function-defined-below", "function-defined-nowhere", "query-name-defined-nowhere"],
)
def test_check_reports_names_used_only_inside_strings(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cells: tuple[dict[str, Any], ...],
    rule: str,
    name: str,
) -> None:
    path = write(tmp_path / "strings.ipynb", _notebook(*cells))
    status = main(["check", "--select", "NB103,NB104", str(path)])
    out = capsys.readouterr().out
    assert status != ExitCode.OK
    (line,) = [line for line in out.splitlines() if f" {rule} " in line]
    assert f"'{name}'" in line and ":cell 4:" in line, out  # the model cell, holding the strings
