"""The pre-commit path imports only what the check needs (issue #12: one notebook in <= 0.15 s).

`nb2prod check NB.ipynb` with the default rules must not import IPython (~0.1 s) for ordinary
magics, the modules of opt-in rules, the other commands, or the convert/verify/pin stages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM = """
import json, sys
from nb2prod.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

CELLS = [
    "%matplotlib inline\nimport numpy as np",
    "!pip install -q pandas",
    "files = !ls\nprint(files)",
    "%%time\ntotal = np.arange(3).sum()",
    "np.sort?",
    "for i in range(2):\n    %time print(i)",
    "total += 1",
]


def _notebook(folder: Path) -> Path:
    cells = [
        {
            "cell_type": "code",
            "id": f"c{i}",
            "metadata": {},
            "execution_count": i + 1,
            "outputs": [],
            "source": source,
        }
        for i, source in enumerate(CELLS)
    ]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    path = folder / "magics.ipynb"
    path.write_text(json.dumps(notebook))
    return path


def _loaded(*arguments: str) -> tuple[int, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    return report["code"], set(report["modules"])


def test_default_check_imports_only_what_it_needs(tmp_path: Path) -> None:
    code, modules = _loaded("check", "--exit-zero", str(_notebook(tmp_path)))
    assert code == 0
    assert "nb2prod.lint.rules.idempotence" in modules  # NB106, a default rule, ran
    unwanted = {
        "IPython",
        "nbformat",
        "jupytext",
        "concurrent.futures.process",
        "nb2prod.lint.rules.order",
        "nb2prod.lint.rules.redefinition",
        "nb2prod.lint.rules.randomness",
        "nb2prod.cli.pin",
        "nb2prod.cli.convert",
        "nb2prod.cli.verify",
        "nb2prod.convert",
        "nb2prod.verify",
        "nb2prod.pin",
    }
    assert not unwanted & modules


@pytest.mark.parametrize(
    ("code", "module"),
    [
        ("NB109", "nb2prod.lint.rules.randomness"),
        ("NB101", "nb2prod.lint.rules.order"),
        ("NB105", "nb2prod.lint.rules.redefinition"),
    ],
)
def test_an_opt_in_rule_loads_its_module(tmp_path: Path, code: str, module: str) -> None:
    _, modules = _loaded("check", "--exit-zero", "--select", code, str(_notebook(tmp_path)))
    assert module in modules


def test_help_still_lists_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nb2prod", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    for command in ("check", "pin", "convert", "verify"):
        assert f"    {command} " in result.stdout


def test_papermill_loads_without_modules_nb2prod_never_uses() -> None:
    # pyarrow.fs (papermill's hdfs:// support, ~40 MB resident) and rfc3987_syntax (~1.5 s of
    # grammar building) are installed here and would load with a plain `import papermill`
    program = (
        "import importlib.util, json, sys\n"
        "from nb2prod.verify.kernel import import_papermill\n"
        "import_papermill()\n"
        "import papermill.iorw\n"
        "print(json.dumps({'installed': [n for n in ('pyarrow', 'rfc3987_syntax')"
        " if importlib.util.find_spec(n)], 'modules': sorted(sys.modules),"
        " 'hidden_left': [n for n, m in sys.modules.items() if m is None]}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert set(report["installed"]) == {"pyarrow", "rfc3987_syntax"}
    assert "papermill.engines" in report["modules"]
    assert not {"pyarrow.fs", "pyarrow", "rfc3987_syntax"} & set(report["modules"])
    # nothing stays hidden: a later `import pyarrow.fs` by someone else still works
    assert not {"pyarrow.fs", "rfc3987_syntax"} & set(report["hidden_left"])
