"""A package that fails is reported with its exception's type, message, function and cells."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nb2prod import api
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow


def test_a_broken_generated_function_is_named_with_its_exception(tmp_path: Path) -> None:
    notebook = tmp_path / "credit_approval.ipynb"
    shutil.copy(SAMPLES / "demo" / "credit_approval.ipynb", notebook)
    converted = api.convert(str(notebook), tmp_path / "pkg", api.ConvertOptions(pin=False))
    assert not isinstance(converted, api.Failed), converted
    function = converted.plan.functions[-1]
    module = tmp_path / "pkg" / "src" / converted.plan.package / f"{function.module}.py"
    source = module.read_text("utf-8")
    head = f"def {function.name}("
    start = source.index(head)
    body = source.index(":\n", start) + 2
    broken = source[:body] + "    raise KeyError('price')\n" + source[body:]
    module.write_text(broken, "utf-8")

    result = api.verify(str(notebook), tmp_path / "pkg", api.VerifyOptions(second_run=False))
    assert isinstance(result, api.Verified), result
    error = result.verification.package_error
    assert error is not None and error.startswith(f"KeyError: 'price' in {function.name}()")
    assert "^" not in error
    assert f"cell {function.cells[0]}" in error or f"cells {function.cells[0]}" in error
