"""`convert` passes its static check on notebooks whose code black changes within its tolerances.

Each file in tests/cases/static_check is one notebook (percent format); its header says what
black changes. The package must build (the static check finds every kept statement once) and
define every class and function the notebook defines. Adding a case needs no code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nb2prod.convert.build import build

CASES = sorted((Path(__file__).parents[1] / "cases" / "static_check").glob("*.py"))
_DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _defined(source: str) -> set[str]:
    return {n.name for n in ast.walk(ast.parse(source)) if isinstance(n, _DEFINITIONS)}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_static_check_case(path: Path, tmp_path: Path) -> None:
    plan, package = build(str(path), pin=False, out_dir=tmp_path / "pkg")
    generated: set[str] = set()
    for module in plan.modules:
        generated |= _defined(package.files[f"src/{plan.package}/{module}.py"])
    assert _defined(path.read_text("utf-8")) <= generated
