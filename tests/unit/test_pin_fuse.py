"""Fusing evidence: precedence between printed, installed and environment versions; run-time modules."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from nb2prod.analysis.dataflow import analyze_cell
from nb2prod.notebook.load import load
from nb2prod.pin import EvidenceKind, PinResult, pin_notebook, plan_requirements
from nb2prod.pin.environment import Environment, environment_for
from nb2prod.pin.render import requirements_txt
from tests.helpers import code, notebook, write


@pytest.fixture(scope="module")
def env() -> Environment:
    return environment_for(None, sys.executable)


def _printed(text: str) -> list[dict[str, Any]]:
    return [{"output_type": "stream", "name": "stdout", "text": text}]


def _pin(tmp_path: Path, env: Environment, *cells: dict[str, Any], **kwargs: Any) -> PinResult:
    return pin_notebook(
        load(write(tmp_path / "nb.ipynb", notebook(*cells))), environment=env, **kwargs
    )


def test_printed_version_that_agrees_with_the_environment(tmp_path: Path, env: Environment) -> None:
    installed = env.version_of("numpy")
    result = _pin(
        tmp_path,
        env,
        code("import numpy as np\nprint(np.__version__)", 1, _printed(f"{installed}\n")),
    )
    (pin,) = result.pins
    assert (pin.version, pin.chosen.kind if pin.chosen else None, pin.confidence.value) == (
        installed,
        EvidenceKind.OUTPUT,
        "high",
    )
    assert result.findings == ()
    assert f"same in {env.python}" in requirements_txt(result)


def test_newest_run_wins_among_printed_versions(tmp_path: Path, env: Environment) -> None:
    result = _pin(
        tmp_path,
        env,
        code("import numpy as np", 1),
        code(
            "np.__version__",
            9,
            [
                {
                    "output_type": "execute_result",
                    "execution_count": 9,
                    "metadata": {},
                    "data": {"text/plain": "'1.20.0'"},
                }
            ],
        ),
        code(
            "np.__version__",
            4,
            [
                {
                    "output_type": "execute_result",
                    "execution_count": 4,
                    "metadata": {},
                    "data": {"text/plain": "'1.10.0'"},
                }
            ],
        ),
    )
    (pin,) = result.pins
    assert pin.version == "1.20.0" and pin.chosen is not None and pin.chosen.cell == 1
    assert [e.version for e in pin.evidence if e.kind is EvidenceKind.OUTPUT] == [
        "1.20.0",
        "1.10.0",
    ]


def test_range_the_environment_satisfies_pins_the_environment(
    tmp_path: Path, env: Environment
) -> None:
    result = _pin(tmp_path, env, code("%pip install 'numpy>=1.0'", 1), code("import numpy", 2))
    (pin,) = result.pins
    assert pin.version == env.version_of("numpy") and pin.confidence.value == "medium"
    assert [f.code for f in result.findings] == ["NB203"]


def test_printed_outranks_installed_outranks_environment(tmp_path: Path, env: Environment) -> None:
    cells = [code("%pip install requests==2.0.0", 1), code("import requests", 2)]
    only_install = _pin(tmp_path, env, *cells)
    assert only_install.pins[0].version == "2.0.0"
    assert [e.kind for e in only_install.pins[0].evidence][:2] == [
        EvidenceKind.INSTALL,
        EvidenceKind.ENVIRONMENT,
    ]
    cells.append(code("print(requests.__version__)", 3, _printed("2.5.0\n")))
    with_output = _pin(tmp_path, env, *cells)
    assert with_output.pins[0].version == "2.5.0"
    assert {(f.code, f.cell) for f in with_output.findings} == {("NB203", 0), ("NB202", 2)}


def test_modules_imported_at_run_time(tmp_path: Path, env: Environment) -> None:
    result = _pin(
        tmp_path,
        env,
        code("import numpy\nexec('import yaml')", 1),
        imported_modules=["numpy", "yaml", "json", "not_a_real_module_xyz"],
    )
    pins = {p.distribution.lower(): p for p in result.pins}
    assert set(pins) == {"numpy", "pyyaml"}
    assert EvidenceKind.RUNTIME in {e.kind for e in pins["numpy"].evidence}  # confirmed by the run
    assert {e.kind for e in pins["pyyaml"].evidence} >= {
        EvidenceKind.RUNTIME,
        EvidenceKind.ENVIRONMENT,
    }
    assert [(e.module, e.reason, e.cell) for e in result.excluded] == [("json", "stdlib", None)]
    assert [(u.module, u.cell) for u in result.unresolved] == [("not_a_real_module_xyz", None)]
    assert result.findings == ()  # nothing to point at: no cell imports them


def test_suppression_by_cell_tag(tmp_path: Path, env: Environment) -> None:
    result = _pin(
        tmp_path, env, code("import not_a_real_module_xyz", 1, tags=["nb2prod:ignore[NB201]"])
    )
    assert result.findings == () and [u.module for u in result.unresolved] == [
        "not_a_real_module_xyz"
    ]


def test_text_notebook(tmp_path: Path, env: Environment) -> None:
    path = tmp_path / "nb.py"
    path.write_text(
        "# %%\nimport numpy as np\n\n# %%\n# !pip install iniconfig\nimport iniconfig\n"
    )
    result = pin_notebook(load(path), environment=env)
    assert [p.distribution for p in result.pins] == ["iniconfig", "numpy"]


def test_plan_requirements_keeps_the_packages_imports(tmp_path: Path, env: Environment) -> None:
    """convert's hook: only the imports the package keeps, plus what the notebook installed."""
    path = write(
        tmp_path / "nb.ipynb",
        notebook(code("import numpy\nimport yaml", 1), code("%pip install iniconfig", 2)),
    )
    plan = SimpleNamespace(
        notebook_path=str(path),
        imports=(SimpleNamespace(symbols=analyze_cell("import numpy as np")),),
    )
    assert plan_requirements(plan, sys.executable) == (
        f"iniconfig=={env.version_of('iniconfig')}",
        f"numpy=={env.version_of('numpy')}",
    )
