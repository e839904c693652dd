"""Property tests on random notebooks (tests/hostile/strategies.py).

- `check` never fails internally: every notebook gets findings or an input error, and the
  JSON document round-trips and has the documented shape (docs/index.md).
- `convert` (in memory) either returns a package that passed the static equivalence check
  run inside `build`, or refuses with an `InputError` whose one-line message names the file.

CI runs the derandomized `ci` profile; `HYPOTHESIS_PROFILE=long` runs 10,000 notebooks each.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import event, example, given, settings

from nb2prod.convert.build import build
from nb2prod.core.errors import InputError
from nb2prod.lint.check import Checked, Failed, check_file
from nb2prod.lint.formats import render_json, to_json_document
from tests.hostile.strategies import notebook

_FINDING = {
    "type": "object",
    "required": [
        "code",
        "severity",
        "cell",
        "cell_id",
        "line",
        "column",
        "names",
        "message",
        "related",
        "confirmed",
    ],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "pattern": "^NB1[0-9]{2}$"},
        "severity": {"enum": ["error", "warning"]},
        "cell": {"type": "integer", "minimum": 0},
        "cell_id": {"type": "string", "minLength": 1},
        "line": {"type": "integer", "minimum": 1},
        "column": {"type": "integer", "minimum": 0},
        "names": {"type": "array", "items": {"type": "string"}},
        "message": {"type": "string", "minLength": 1},
        "related": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["cell", "cell_id", "line", "column", "note"],
                "additionalProperties": False,
                "properties": {
                    "cell": {"type": "integer", "minimum": 0},
                    "cell_id": {"type": "string", "minLength": 1},
                    "line": {"type": "integer", "minimum": 1},
                    "column": {"type": "integer", "minimum": 0},
                    "note": {"type": "string"},
                },
            },
        },
        "confirmed": {"type": ["boolean", "null"]},
    },
}
CHECK_DOCUMENT = {
    "type": "object",
    "required": ["version", "notebooks"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "notebooks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "findings", "error"],
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string"},
                    "findings": {"type": "array", "items": _FINDING},
                    "error": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "required": ["kind", "message", "cell"],
                                "additionalProperties": False,
                                "properties": {
                                    "kind": {"type": "string"},
                                    "message": {"type": "string", "minLength": 1},
                                    "cell": {"type": ["integer", "null"]},
                                },
                            },
                        ]
                    },
                },
            },
        },
    },
}
# Slower than check (libcst, black, the static check): fewer examples in CI, all of them in `long`.
CONVERT_EXAMPLES = settings.default.max_examples if settings.default.max_examples >= 1000 else 60


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties") / "generated.ipynb"


def _write(path: Path, nb: dict[str, object]) -> str:
    path.write_text(json.dumps(nb), encoding="utf-8")
    return str(path)


@given(nb=notebook())
def test_check_answers_every_notebook(scratch: Path, nb: dict[str, object]) -> None:
    path = _write(scratch, nb)
    result = check_file(path)
    event(f"check: {type(result).__name__}")
    if isinstance(result, Failed):
        assert result.kind != "internal", result.message
    else:
        assert isinstance(result, Checked)
        cells = nb["cells"]
        assert isinstance(cells, list)
        for finding in result.findings:
            assert 0 <= finding.cell < len(cells)
            assert cells[finding.cell]["cell_type"] == "code"
    document = to_json_document([result])
    assert json.loads(render_json([result])) == document
    jsonschema.validate(document, CHECK_DOCUMENT)


def _nb(*sources: str) -> dict[str, object]:
    cells = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s}
        for s in sources
    ]
    return {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": cells}


@settings(max_examples=CONVERT_EXAMPLES)
@given(nb=notebook())
# found by this test: isort de-duplicated imports inside a generated function (static check failed)
@example(nb=_nb("a = 0", "a = 0", "%%time\na = 0\na = a.fit(a)\nimport math\nimport math"))
# found by this test: magics inside a %%time/%%capture body were refused as "does not parse"
@example(nb=_nb("%%capture\na = %pwd\n%pip install not-a-package\nb = !ls\nprint(a, b)"))
def test_convert_builds_a_checked_package_or_refuses(scratch: Path, nb: dict[str, object]) -> None:
    path = _write(scratch, nb)
    try:
        plan, package = build(path, pin=False)
    except InputError as exc:
        event(f"refused: {exc.kind}")
        assert exc.path == path
        assert exc.message and "\n" not in str(exc)
        if exc.cell is not None:
            assert f"cell {exc.cell}" in str(exc)
        return
    event("converted")
    # build ran the static check (every kept statement exactly once, stable rendering); the
    # package must also compile, which catches what parsing alone lets through
    for name, text in package.files.items():
        if name.endswith(".py"):
            compile(text, name, "exec", dont_inherit=True)
    assert f"src/{plan.package}/pipeline.py" in package.files


def test_regression_duplicate_imports_in_a_time_cell(scratch: Path) -> None:
    """isort used to de-duplicate imports inside the generated function: static check failed."""
    plan, package = build(
        _write(
            scratch, _nb("a = 0", "a = 0", "%%time\na = 0\na = a.fit(a)\nimport math\nimport math")
        ),
        pin=False,
    )
    model = package.files[f"src/{plan.package}/model.py"]
    assert model.count("import math") == 2


def test_regression_magics_inside_a_capture_body(scratch: Path) -> None:
    """IPython transforms a %%capture body before running it; convert used to refuse it."""
    plan, _ = build(
        _write(
            scratch, _nb("%%capture\na = %pwd\n%pip install not-a-package\nb = !ls\nprint(a, b)")
        ),
        pin=False,
    )
    code = "\n".join(s.code for f in plan.functions for s in f.statements)
    assert "b = subprocess.run('ls'" in code  # print(a, b) is exploration, left out
    assert "not-a-package" in plan.requirements


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        # found by this test: the loop went into a generated function, where `import *` does not compile
        ("%%time\nfor a in range(3):\n    from math import *", "star import inside a block"),
        # parses, but the kernel would not compile it; inside a generated function it would run
        ("x = 1\nif x:\n    return x", "'return' outside function"),
    ],
)
def test_regression_code_that_cannot_move_into_a_function(
    scratch: Path, source: str, reason: str
) -> None:
    with pytest.raises(InputError, match=reason) as info:
        build(_write(scratch, _nb("x = 0", source)), pin=False)
    assert info.value.cell == 1
