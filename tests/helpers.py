"""Build small notebooks in tests, as JSON text, without nbformat."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def code(
    source: str,
    count: int | None = None,
    outputs: list[dict[str, Any]] | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "source": source,
        "execution_count": count,
        "outputs": outputs if outputs is not None else ([] if count is None else [_out(count)]),
        "metadata": {"tags": tags} if tags else {},
    }


def md(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "source": source, "metadata": {}}


def _out(count: int) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": [f"out {count}\n"]}


def notebook(*cells: dict[str, Any], language: str = "python", minor: int = 5) -> dict[str, Any]:
    with_ids = []
    for index, cell in enumerate(cells):
        cell = dict(cell)
        if minor >= 5:
            cell["id"] = f"c{index}"
        with_ids.append(cell)
    return {
        "nbformat": 4,
        "nbformat_minor": minor,
        "metadata": {
            "kernelspec": {
                "name": "python3" if language == "python" else language,
                "display_name": language,
                "language": language,
            }
        },
        "cells": with_ids,
    }


def write(path: Path, nb: dict[str, Any]) -> Path:
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path
