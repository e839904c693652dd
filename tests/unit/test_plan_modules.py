"""A module is not a value: calling its functions never makes it a parameter or a return."""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.convert.plan import make_plan
from nb2prod.notebook.load import load
from tests.helpers import code, notebook, write


@pytest.mark.parametrize(
    "step", ["b = np.add(a, a)", "np.random.seed(0)\nb = a * 2", "b = a\nnp.x = 1"]
)
def test_module_calls_do_not_thread_the_module_through_functions(tmp_path: Path, step: str) -> None:
    nb = notebook(
        code("import numpy as np", 1),
        code(f"a = np.array([1, 2])\n{step}", 2),
        code("# nb2prod: business\nc = np.maximum(b, 1)", 3),
    )
    functions = make_plan(load(str(write(tmp_path / "modules.ipynb", nb)))).functions
    assert [(f.params, f.returns) for f in functions] == [((), ("b",)), (("b",), ("c",))]


def test_a_rebound_module_name_is_a_value_again(tmp_path: Path) -> None:
    nb = notebook(
        code("import numpy as np", 1),
        code("np = {'add': 1}\nnp.update(x=2)", 2),
        code("# nb2prod: business\nc = np['x']", 3),
    )
    functions = make_plan(load(str(write(tmp_path / "rebound.ipynb", nb)))).functions
    assert functions[-1].params == ("np",)


def test_the_last_step_does_not_return_loop_variables_or_closed_file_handles(
    tmp_path: Path,
) -> None:
    nb = notebook(
        code("import json", 1),
        code(
            "with open('a.json') as f:\n    data = json.load(f)\n"
            "total = sum([])\nfor item in data:\n    total += item\nrow = data[0]\nfor row in data:\n    pass",
            2,
        ),
    )
    functions = make_plan(load(str(write(tmp_path / "last.ipynb", nb)))).functions
    returned = {name for f in functions for name in f.returns}
    assert not returned & {"f", "item"}
    # `row` is assigned outside a loop header too: a value the notebook kept
    assert {"total", "row"} <= set(functions[-1].returns)
