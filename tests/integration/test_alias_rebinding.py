"""One alias bound to two modules in different cells: each function gets the binding it saw.

`import math as np` at the top, `import numpy as np` further down: the package's imports sit at
the top of each module, where the last binding would win for every function. One binding keeps
the alias (here numpy, which a formula string reads: its text names the model's terms), the other
is renamed (`math`) where it is read, and the package's values equal the notebook's. Each region uses something only its own module has (`factorial`, `array`), so a
package that gave both regions one binding fails.
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
from nb2prod.convert.build import build
from tests.helpers import code, md, notebook, write

CELLS = (
    code("import math as np\nimport pandas as pd\nimport statsmodels.formula.api as smf", 1, []),
    md("## Math"),
    code(
        "a = np.sqrt(4)\nfive = np.factorial(5)\ndef root(v):\n    return np.sqrt(v)\nr = root(9)",
        2,
        [],
    ),
    code("import numpy as np", 3, []),
    md("## Numpy"),
    code(
        "b = np.sqrt(4)\nv = np.sqrt(np.array([1.0, 4.0]))\n"
        "squares = [np.square(k) for k in range(3)]\n"
        "shift = lambda np: np + 1\nc = shift(1)",
        4,
        [],
    ),
    md("## Model"),
    code(
        "df = pd.DataFrame({'x': np.arange(1.0, 21.0)})\n"
        "df['y'] = 2.0 + 3.0 * np.log(df['x']) + np.sin(df['x'])\n"
        "params = smf.ols('y ~ np.log(x)', data=df).fit().params",
        5,
        [],
    ),
)


def _functions(files: dict[str, str], package: str) -> dict[str, str]:
    """Generated function name -> its source, over every module of the package."""
    found = {}
    for path, text in files.items():
        if path.startswith(f"src/{package}/") and path.endswith(".py"):
            tree = ast.parse(text)
            for node in tree.body:
                if isinstance(node, ast.FunctionDef):
                    found[node.name] = ast.get_source_segment(text, node) or ""
    return found


def _bound(text: str) -> dict[str, str]:
    """Names a module's top-level imports bind -> the module they bind."""
    bound = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound[alias.asname or alias.name] = alias.name
    return bound


def test_each_region_reads_its_own_binding(tmp_path: Path) -> None:
    nb = write(tmp_path / "rebound.ipynb", notebook(*CELLS))
    plan, package = build(str(nb), pin=False)
    functions = _functions(dict(package.files), plan.package)
    math_step = next(src for src in functions.values() if "factorial" in src)
    numpy_step = next(src for src in functions.values() if "square" in src)
    # the formula reads `np` as numpy, and its text names its terms: numpy keeps the alias
    model = next(src for src in functions.values() if "smf.ols" in src)
    assert "'y ~ np.log(x)'" in model or '"y ~ np.log(x)"' in model
    assert "math.sqrt(4)" in math_step and "math.factorial(5)" in math_step
    assert "np." not in math_step
    assert "np.sqrt(4)" in numpy_step and "np.sqrt(np.array([1.0, 4.0]))" in numpy_step
    assert "lambda np: np + 1" in numpy_step  # the lambda's own parameter stays
    assert "math.sqrt(v)" in functions["root"]  # defined under the first binding
    for path, text in package.files.items():
        if path.endswith(".py"):
            bound = _bound(text)
            assert bound.get("np", "numpy") == "numpy" and bound.get("math", "math") == "math"
    assert any("`np` (math) renamed `math`" in w for w in plan.warnings)


@pytest.mark.slow
def test_package_values_equal_the_notebook(tmp_path: Path) -> None:
    nb = write(tmp_path / "rebound.ipynb", notebook(*CELLS))
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        status = main(["convert", str(nb), "--out", str(tmp_path / "pkg"), "--no-second-run"])
    out = buffer.getvalue()
    assert status == ExitCode.OK, out
    report: dict[str, Any] = json.loads((tmp_path / "pkg" / "nb2prod-report.json").read_text())
    verification = report["verification"]
    assert verification["verdict"] == "equivalent", out
    assert "EQUIVALENT" in out


def test_formulas_under_both_bindings_read_their_own(tmp_path: Path) -> None:
    """When strings read both bindings, the renamed one's strings are renamed too (patsy looks
    the name up in the caller's namespace), and the report says so."""
    nb = write(
        tmp_path / "both.ipynb",
        notebook(
            code("import numpy as np\nimport pandas as pd\nimport patsy", 1, []),
            md("## First"),
            code(
                "df = pd.DataFrame({'x': [1.0, 2.0, 4.0]})\nm1 = patsy.dmatrix('np.log(x)', df)", 2
            ),
            code("import math as np", 3, []),
            md("## Second"),
            code("m2 = patsy.dmatrix('np.floor(x)', {'x': 2.5})\nk = np.factorial(3)", 4),
        ),
    )
    plan, package = build(str(nb), pin=False)
    functions = _functions(dict(package.files), plan.package)
    second = next(src for src in functions.values() if "factorial" in src)
    assert "math.factorial(3)" in second
    assert "'math.floor(x)'" in second or '"math.floor(x)"' in second
    first = next(src for src in functions.values() if "m1" in src)
    assert "np.log(x)" in first and "math" not in first
