"""A notebook that converts to no function is unverified, and the headline says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod import api
from nb2prod.verify.report import NOTHING_TO_COMPARE, to_markdown
from tests.helpers import code, notebook, write

pytestmark = pytest.mark.slow


def test_a_notebook_of_prints_has_nothing_to_compare(tmp_path: Path) -> None:
    path = write(tmp_path / "show.ipynb", notebook(code("print('hello')", 1)))
    result = api.verify(str(path), options=api.VerifyOptions(second_run=False))
    assert isinstance(result, api.Verified), result
    v = result.verification
    assert not v.functions and v.verdict == "unverified"
    assert api.headline(v) == NOTHING_TO_COMPARE
    assert NOTHING_TO_COMPARE in to_markdown(v)
