"""A definition used before its role's module: the generated modules still import without a cycle."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from nb2prod.convert.plan import make_plan
from nb2prod.convert.render import render
from nb2prod.notebook.load import load
from tests.helpers import code, md, notebook, write


def _package_imports(src: Path, package: str) -> dict[str, set[str]]:
    """module -> the package's modules it imports (`from pkg.x import y`, `from pkg import x`)."""
    graph: dict[str, set[str]] = {}
    for path in (src / package).glob("*.py"):
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == package:
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package + "."):
                imported.add(node.module.split(".")[1])  # type: ignore[union-attr]
        graph[path.stem] = imported
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for other in sorted(graph.get(module, ())):
            found = visit(other, [*path, module])
            if found:
                return found
        done.add(module)
        return None

    for module in sorted(graph):
        found = visit(module, [])
        if found:
            return found
    return None


def test_helpers_used_across_roles_do_not_make_an_import_cycle(tmp_path: Path) -> None:
    # the shape of handson-ml2's 05_support_vector_machines: a plotting helper defined under a
    # model heading is called by a later features cell, and a features helper by the model cell
    nb = notebook(
        code("import numpy as np", 1),
        md("## Feature engineering"),
        code("def scale(x):\n    return x * 2", 2),
        md("## Model training"),
        code("def plot_summary(x):\n    return float(np.sum(x))", 3),
        md("## Feature engineering"),
        code("features = scale(np.arange(4.0))\nshown = plot_summary(features)", 4),
        md("## Model training"),
        code("weights = scale(features) + shown\nscore = plot_summary(weights)", 5),
    )
    plan = make_plan(load(str(write(tmp_path / "helpers.ipynb", nb))))
    # the notebook has the shape: definitions and their callers in both modules
    assert {f.module for f in plan.functions} == {"features", "model"}
    package = render(plan)
    out = tmp_path / "out"
    for name, text in package.files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")

    cycle = _cycle(_package_imports(out / "src", plan.package))
    assert cycle is None, f"import cycle: {' -> '.join(cycle)}"
    for module in ("pipeline", *plan.modules):  # each first, as a user's import would be
        done = subprocess.run(
            [sys.executable, "-c", f"import {plan.package}.{module}"],
            cwd=out,
            env={**os.environ, "PYTHONPATH": "src"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
