"""`check_paths` in worker processes: the same results, in input order, as one process, and
the caller's garbage collector left as it was (the pool freezes what the workers inherit)."""

from __future__ import annotations

import gc
import json
from pathlib import Path

from nb2prod.lint.check import CheckRequest, check_file, check_paths


def _notebooks(folder: Path, count: int) -> list[str]:
    paths = []
    for i in range(count):
        sources = ["import os", f"x{i} = os.listdir('/home/me/data{i}')", f"print(y{i})"]
        cells = [
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": n + 1,
                "outputs": [],
                "source": source,
            }
            for n, source in enumerate(sources[: 1 + i % 3])
        ]
        path = folder / f"n{i:02}.ipynb"
        path.write_text(
            json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": cells})
        )
        paths.append(str(path))
    return paths


def test_workers_give_what_one_process_gives(tmp_path: Path) -> None:
    paths = _notebooks(tmp_path, 20)
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    pooled = list(check_paths(paths, CheckRequest(), jobs=2))
    assert pooled == [check_file(path) for path in paths]
    assert {f.code for r in pooled for f in getattr(r, "findings", ())} == {"NB104", "NB111"}
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)


def test_a_callers_own_frozen_objects_stay_frozen(tmp_path: Path) -> None:
    paths = _notebooks(tmp_path, 16)
    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0
        list(check_paths(paths, CheckRequest(), jobs=2))
        # an unfreeze would empty the permanent generation; its count may still drop a little
        # on its own, as frozen objects of earlier tests are freed by reference counting
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
