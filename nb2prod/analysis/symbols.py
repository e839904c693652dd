"""A loaded notebook with the symbols of each code cell, and the tables the rules read from them."""

from __future__ import annotations

import builtins
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from nb2prod.analysis.dataflow import analyze_cell
from nb2prod.analysis.records import CellSymbols
from nb2prod.core.findings import Finding
from nb2prod.notebook.model import Cell, Notebook

# Names IPython puts in the user namespace, beyond Python's builtins.
IPYTHON_NAMES = frozenset(
    {
        "get_ipython",
        "display",
        "In",
        "Out",
        "exit",
        "quit",
        "_",
        "__",
        "___",
        "_i",
        "_ii",
        "_iii",
        "_ih",
        "_oh",
        "_dh",
        "_sh",
        "__name__",
        "__doc__",
        "__builtins__",
        "__spec__",
        "__loader__",
        "__package__",
        "__builtin__",
        "__session__",
        "__vsc_ipynb_file__",
    }
)
_HISTORY_NAME = re.compile(r"_i{0,3}\d+$")
KNOWN_NAMES = frozenset(dir(builtins)) | IPYTHON_NAMES


def is_known_name(name: str) -> bool:
    return name in KNOWN_NAMES or _HISTORY_NAME.match(name) is not None


@dataclass(frozen=True)
class Analysis:
    """A notebook with the symbols of each code cell (`None` for other cells) and its findings."""

    notebook: Notebook
    symbols: tuple[CellSymbols | None, ...]
    findings: tuple[Finding, ...] = ()

    @cached_property
    def definers(self) -> Mapping[str, tuple[int, ...]]:
        """For each name, the indices of the cells that bind it, in page order."""
        table: dict[str, list[int]] = {}
        for index, sym in enumerate(self.symbols):
            if sym is not None:
                for ref in sym.defines:
                    table.setdefault(ref.name, []).append(index)
        return {name: tuple(cells) for name, cells in table.items()}

    @cached_property
    def changers(self) -> Mapping[str, tuple[int, ...]]:
        """For each name, the cells that bind it or change it in place."""
        table: dict[str, set[int]] = {name: set(cells) for name, cells in self.definers.items()}
        for index, sym in enumerate(self.symbols):
            if sym is not None:
                for mutation in sym.mutations:
                    table.setdefault(mutation.name, set()).add(index)
        return {name: tuple(sorted(cells)) for name, cells in table.items()}

    @cached_property
    def hidden_origins(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for sym in self.symbols:
            if sym is not None:
                for ref in sym.hidden_origins:
                    seen.setdefault(ref.name, None)
        return tuple(seen)

    def cell(self, index: int) -> Cell:
        return self.notebook.cells[index]


def collect_symbols(notebook: Notebook) -> tuple[CellSymbols | None, ...]:
    # the parser warns about the notebook's code (invalid escapes); that is not ours to print
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return tuple(analyze_cell(c.source) if c.is_code else None for c in notebook.cells)
