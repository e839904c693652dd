"""The package run's failure message: the exception's type and message, and where it happened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nb2prod.convert.plan import Plan, make_plan
from nb2prod.notebook.load import load
from nb2prod.verify.package_run import failure_message
from tests.conftest import SAMPLES

CARET_TAIL = """Traceback (most recent call last):
  File "/tmp/x/src/pkg/model.py", line 12, in train_model
    model = fit(features_table)
            ^^^^^^^^^^^^^^^^^^^
KeyError: 'price'
              ^^^^^^^^^^^^^^^^^
"""


@pytest.fixture(scope="module")
def plan() -> Plan:
    return make_plan(load(str(SAMPLES / "demo" / "credit_approval.ipynb")))


def test_the_recorded_exception_names_type_message_function_and_cells(
    plan: Plan, tmp_path: Path
) -> None:
    function = plan.functions[-1]
    record = {
        "type": "KeyError",
        "message": "'price'",
        "function": function.name,
        "file": f"{function.module}.py",
        "line": 12,
    }
    (tmp_path / "failure.json").write_text(json.dumps(record))
    text = failure_message(plan, tmp_path, "junk\n  ^^^^\n")
    assert text is not None and text.startswith("KeyError: 'price' in " + function.name + "()")
    assert f"{function.module}.py line 12" in text
    assert "cell" in text and str(function.cells[0]) in text


def test_without_a_record_the_exception_line_is_found_above_a_caret_line(
    plan: Plan, tmp_path: Path
) -> None:
    assert failure_message(plan, tmp_path, CARET_TAIL) == "KeyError: 'price'"


def test_a_tail_with_no_exception_line_falls_back_to_its_last_line(
    plan: Plan, tmp_path: Path
) -> None:
    assert failure_message(plan, tmp_path, "Killed\n") == "Killed"
    assert failure_message(plan, tmp_path, "") is None
