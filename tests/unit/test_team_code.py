"""Code a team would keep (#14.5): config passed at call time, names without numbered suffixes,
metrics kept as results, no figures in `Results`, path computations with the data."""

from __future__ import annotations

import ast
import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nb2prod.convert.build import build
from nb2prod.convert.plan import make_plan
from nb2prod.core.vocabulary import Role
from nb2prod.notebook.load import load
from tests.helpers import code, md, notebook, write

# A notebook whose functions read config fields as globals: in a default argument (bound at
# import), in the body, through another function, and as a callback passed to `map`.
CONFIG_NOTEBOOK = (
    code("import numpy as np", 1),
    code("THRESHOLD = 0.5\nSCALE = 2.0\nOFFSET = 1", 2),
    code(
        "def decide(p, threshold=THRESHOLD):\n    return [x * SCALE for x in p if x < threshold]",
        3,
    ),
    code("def shifted(p):\n    return [v + OFFSET + len(base) for v in decide(p)]", 4),
    code("base = np.array([0.1, 0.4, 0.7, 0.9])", 5),
    code("md_step = list(map(shifted, [list(base)]))\nresult = decide(base)", 6),
)


@pytest.fixture
def imported(tmp_path: Path) -> Iterator[Any]:
    """Import the package written from CONFIG_NOTEBOOK; forget it afterwards."""
    nb = write(tmp_path / "cfg.ipynb", notebook(*CONFIG_NOTEBOOK))
    _, package = build(str(nb), pin=False)
    root = tmp_path / "out"
    for path, text in package.files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, "utf-8")
    sys.path.insert(0, str(root / "src"))
    try:
        yield package
    finally:
        sys.path.remove(str(root / "src"))
        for name in [m for m in sys.modules if m == "cfg" or m.startswith("cfg.")]:
            del sys.modules[name]


def test_every_config_field_reaches_the_code_at_call_time(imported: Any) -> None:
    pipeline = importlib.import_module("cfg.pipeline")
    config = importlib.import_module("cfg.config").Config
    default = pipeline.run(config())
    assert default.result == [0.2, 0.8]
    # a default argument, a body read, and reads through another function and a callback
    assert pipeline.run(config(threshold=0.8)).result == [0.2, 0.8, 1.4]
    assert pipeline.run(config(scale=10.0)).result == [1.0, 4.0]
    assert pipeline.run(config(offset=100)).md_step == [[104.2, 104.8]]
    assert pipeline.run(config(scale=1.0)).md_step == [[5.1, 5.4]]


def test_no_module_global_is_rebound_or_read_from_the_defaults(imported: Any) -> None:
    files = imported.files
    assert not any(
        re.search(r"_module\.\w+\s*=", text) for path, text in files.items() if path.endswith(".py")
    )
    features = files["src/cfg/features.py"]
    assert "DEFAULTS" not in features
    assert "def decide(p, threshold=None, *, config: Config):" in features
    assert "functools.partial(shifted, config=config, base=base)" in features


def test_the_generated_test_checks_each_field_and_fails_when_one_is_ignored(
    imported: Any, tmp_path: Path
) -> None:
    text = imported.files["tests/test_package.py"]
    readers = text[text.index("READERS = [") : text.index("\n]\n")]
    fields = {
        (m.group(1), m.group(2)) for m in re.finditer(r'\("(\w+)", "\w+", "\w+", "(\w+)"', readers)
    }
    assert fields == {
        ("threshold", "decide"),
        ("scale", "decide"),
        ("offset", "shifted"),
    }
    tests = tmp_path / "out" / "tests"
    run = importlib.import_module("pytest").main
    assert run(["-q", "-p", "no:cacheprovider", str(tests / "test_package.py")]) == 0
    # the same test on code that reads the notebook's value instead of the config's fails
    features = tmp_path / "out" / "src" / "cfg" / "features.py"
    features.write_text(
        features.read_text().replace("SCALE = config.scale", "SCALE = 2.0"), "utf-8"
    )
    for name in [m for m in sys.modules if m.startswith("cfg")]:
        del sys.modules[name]
    assert run(["-q", "-p", "no:cacheprovider", str(tests / "test_package.py")]) != 0


def _functions(tmp_path: Path, *cells: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    plan = make_plan(load(str(write(tmp_path / "nb.ipynb", notebook(*cells)))))
    return [(f.name, f.module, f.returns) for f in plan.functions]


def test_one_cell_of_several_roles_is_one_function_named_without_a_number(tmp_path: Path) -> None:
    functions = _functions(
        tmp_path,
        code("import pandas as pd\nfrom sklearn.linear_model import LinearRegression", 1),
        md("## Quick look"),
        code("df = pd.DataFrame({'a': [1.0, 2.0, 3.0], 'b': [2.0, 4.0, 6.1]})", 2),
        code("df['c'] = df['a'] * 2\nm = LinearRegression().fit(df[['c']], df['b'])", 3),
        code("df['d'] = m.predict(df[['c']])\nm2 = LinearRegression().fit(df[['d']], df['b'])", 4),
    )
    names = [name for name, _, _ in functions]
    assert not any(re.search(r"_\d+$", n) for n in names), names
    assert len(set(names)) == len(names)
    # "Quick look" is filler: the names come from what the steps return
    assert names[0] == "build_df"
    assert [module for _, module, _ in functions][1:] == ["model", "model"]


def test_a_metric_shown_in_a_print_is_kept_as_a_result(tmp_path: Path) -> None:
    functions = _functions(
        tmp_path,
        code("from sklearn.metrics import accuracy_score, f1_score", 1),
        code("y_test = [0, 1, 1]\ny_pred = [0, 1, 0]", 2),
        code(
            'print(f"accuracy {accuracy_score(y_test, y_pred):.2f}, '
            'f1 {f1_score(y_test, y_pred):.2f}")',
            3,
        ),
        code("print(len(y_test))", 4),
    )
    assert functions[-1][2] == ("accuracy", "f1")
    assert functions[-1][1] == "model"


def test_results_hold_no_figures_axes_or_underscore(tmp_path: Path) -> None:
    nb = write(
        tmp_path / "figs.ipynb",
        notebook(
            code("import matplotlib.pyplot as plt", 1),
            code("fig, ax = plt.subplots()\n_ = ax.plot([1, 2])", 2),
            code("def summarize(values, ax):\n    ax.set_title('sum')\n    return sum(values)", 3),
            code("# nb2prod: business\ntotal = summarize([1, 2], ax)", 4),
        ),
    )
    plan = make_plan(load(str(nb)))
    returned = {n for f in plan.functions for n in f.returns}
    assert {"fig", "ax"} <= set(plan.display_values)
    assert "ax" in returned  # still passed to the step that reads it
    assert "total" in plan.result_fields
    assert not {"fig", "ax", "_"} & set(plan.result_fields)
    pipeline = render_pipeline(nb)
    results = next(
        node
        for node in ast.walk(ast.parse(pipeline))
        if isinstance(node, ast.ClassDef) and node.name == "Results"
    )
    fields = [
        s.target.id
        for s in results.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    ]
    assert "total" in fields
    assert not {"fig", "ax", "_"} & set(fields)


def render_pipeline(nb: Path) -> str:
    plan, package = build(str(nb), pin=False)
    return package.files[f"src/{plan.package}/pipeline.py"]


@pytest.mark.parametrize(
    "statement",
    [
        'DATA_PATH = os.path.join(DATA_DIR, "a.csv")',
        'OUT_FILE = Path(DATA_DIR) / "out" / "b.csv"',
        "ROOT = Path(DATA_DIR).resolve().parent",
    ],
)
def test_a_path_computation_is_a_data_step(tmp_path: Path, statement: str) -> None:
    nb = notebook(
        code("import os\nfrom pathlib import Path", 1),
        code(f'DATA_DIR = "data"\n{statement}', 2),
        code(f"print({statement.split()[0]})", 3),
        code(f"size = len(str({statement.split()[0]}))", 4),
    )
    plan = make_plan(load(str(write(tmp_path / "paths.ipynb", nb))))
    step = next(p for p in plan.statements if p.statement.code.strip() == statement)
    assert step.role is Role.DATA
    assert plan.functions[0].name.startswith("locate_")


def test_a_computation_that_is_not_a_path_stays_a_feature(tmp_path: Path) -> None:
    nb = notebook(
        code("import os", 1),
        code('NAME = "x"\nlabel = NAME.upper()', 2),
        code("size = len(label)", 3),
    )
    plan = make_plan(load(str(write(tmp_path / "nopath.ipynb", nb))))
    step = next(p for p in plan.statements if "upper" in p.statement.code)
    assert step.role is Role.FEATURES
