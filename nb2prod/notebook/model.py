"""The loaded notebook: frozen records shared by every later stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell; `index` counts all cells (markdown included) from 0."""

    index: int
    id: str
    cell_type: str  # "code", "markdown" or "raw"
    source: str
    execution_count: int | None = None
    outputs: tuple[Mapping[str, Any], ...] = ()
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] | None = None

    @property
    def is_code(self) -> bool:
        return self.cell_type == "code"

    @property
    def is_blank(self) -> bool:
        return not self.source.strip()


@dataclass(frozen=True, slots=True)
class Notebook:
    """A notebook as read from disk; the file itself is never written."""

    path: str
    cells: tuple[Cell, ...]
    nbformat: tuple[int, int]
    language: str
    format: str = "ipynb"  # "ipynb" or a jupytext format name such as "py:percent"
    kernel_name: str | None = None
    metadata: Mapping[str, Any] | None = None

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.is_code)
