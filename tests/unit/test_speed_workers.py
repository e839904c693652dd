"""`check_paths` in forked children fed from one queue, largest files first: results come back
in input order, equal to one process's, whatever the sizes, the worker count or bad files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from nb2prod.lint.check import Checked, CheckRequest, Failed, check_file, check_paths


def _notebook(path: Path, cells: int) -> str:
    sources = [f"x{n} = open('/home/me/data{n}.csv')\nprint(y{n})" for n in range(cells)]
    body = [
        {"cell_type": "code", "metadata": {}, "execution_count": n + 1, "outputs": [], "source": s}
        for n, s in enumerate(sources)
    ]
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": body}))
    return str(path)


def test_sizes_out_of_order_come_back_in_input_order(tmp_path: Path) -> None:
    # sizes that go up and down, so the largest-first queue differs from the input order
    paths = [_notebook(tmp_path / f"n{i:02}.ipynb", 1 + (i * 7) % 11) for i in range(24)]
    paths.insert(5, str(tmp_path / "missing.ipynb"))
    (tmp_path / "broken.ipynb").write_text("{not json")
    paths.insert(17, str(tmp_path / "broken.ipynb"))
    alone = [check_file(p) for p in paths]
    for jobs in (2, 3, 5):
        assert list(check_paths(paths, CheckRequest(), jobs=jobs)) == alone
    assert isinstance(alone[5], Failed) and alone[5].path.endswith("missing.ipynb")
    assert isinstance(alone[17], Failed) and alone[17].kind == "invalid-json"
    counts = [len(r.findings) for r in alone if isinstance(r, Checked)]
    assert counts == [2 * (1 + (i * 7) % 11) for i in range(24)]  # NB104 and NB111 per cell


def test_no_child_outlives_the_check(tmp_path: Path) -> None:
    paths = [_notebook(tmp_path / f"n{i:02}.ipynb", 2) for i in range(16)]
    list(check_paths(paths, CheckRequest(), jobs=2))
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return  # no child at all: every one was reaped
    assert pid == 0, f"child {pid} was left unreaped"
