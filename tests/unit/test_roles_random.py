"""A statement that only shows a value is left out, unless leaving it out shifts the random stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.convert.plan import make_plan
from nb2prod.convert.roles import Role
from nb2prod.notebook.load import load
from tests.helpers import code, notebook, write


@pytest.mark.parametrize(
    ("statement", "kept"),
    [
        ("plt.hist(np.random.rand(100))", True),
        ("print(random.random())", True),
        ("np.random.randn(3, 4)", True),
        ("plt.hist(x)", False),
        ("print(np.random.default_rng(0))", False),  # a new generator: the shared one is untouched
        ("print(rng.random())", False),
    ],
)
def test_exploration_that_draws_from_the_global_generator_is_kept(
    tmp_path: Path, statement: str, kept: bool
) -> None:
    nb = notebook(
        code("import random\nimport numpy as np\nimport matplotlib.pyplot as plt", 1),
        code("x = np.arange(5)\nrng = np.random.default_rng(1)", 2),
        code(statement, 3),
        code("y = np.random.rand(2)", 4),
    )
    plan = make_plan(load(str(write(tmp_path / "draws.ipynb", nb))))
    (placed,) = [p for p in plan.statements if p.statement.cell == 2]
    assert (placed.role is not Role.EXPLORATION) is kept and placed.kept is kept, placed.reason
    if kept and statement.startswith(
        ("plt.", "print(")
    ):  # would have been left out as display only
        assert "global random generator" in placed.reason
