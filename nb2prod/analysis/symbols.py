"""A loaded notebook with the symbols of each code cell, and the tables the rules read from them."""

from __future__ import annotations

import builtins
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from nb2prod.analysis.dataflow import analyze_cell
from nb2prod.analysis.imports import carry_modules
from nb2prod.analysis.magics import BoundNames, bind_written_modules
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
    def module_names(self) -> frozenset[str]:
        """Names only ever bound by imports (`np`, `plt`, `train_test_split`): calls through
        them are library calls, never changes of the notebook's state."""
        imported: set[str] = set()
        other: set[str] = set()
        for sym in self.symbols:
            if sym is not None:
                bound = {i.bound_as for i in sym.imports}
                for ref in sym.defines:
                    (imported if ref.name in bound else other).add(ref.name)
        return frozenset(imported - other)

    @cached_property
    def changers(self) -> Mapping[str, tuple[int, ...]]:
        """For each name, the cells that bind it or change it in place (a module only by import)."""
        table: dict[str, set[int]] = {name: set(cells) for name, cells in self.definers.items()}
        modules = self.module_names
        for index, sym in enumerate(self.symbols):
            if sym is not None:
                for mutation in sym.mutations:
                    if mutation.name not in modules:
                        table.setdefault(mutation.name, set()).add(index)
        return {name: tuple(sorted(cells)) for name, cells in table.items()}

    @cached_property
    def unbinders(self) -> frozenset[str]:
        """The names some cell unbinds with `del` (most notebooks: none)."""
        return frozenset(n for sym in self.symbols if sym is not None for n in sym.unbound)

    def deleted_by(self, name: str, index: int) -> int | None:
        """The cell above `index` whose `del name` is the last thing that happened to `name` in
        page order: a top-to-bottom run reaches cell `index` with `name` unbound."""
        if name not in self.unbinders:
            return None
        for above in range(index - 1, -1, -1):
            sym = self.symbols[above]
            if sym is None:
                continue
            if name in sym.unbound:
                return above
            if any(r.name == name for r in sym.defines):
                return None
        return None

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
    """Each cell's symbols (None: not code), in page order, each cell told the modules the
    cells above it imported."""
    modules: dict[str, str] = {}
    bound = BoundNames()  # what shadows automagic (`pwd`, `history`) in later cells
    found: list[CellSymbols | None] = []
    # the parser warns about the notebook's code (invalid escapes); that is not ours to print
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        for cell in notebook.cells:
            sym = analyze_cell(cell.source, modules, bound.names) if cell.is_code else None
            if sym is not None:
                carry_modules(modules, sym)
                bound.add(sym)
            found.append(sym)
    # `from helpers import *` / `%run helpers.py` of a file a `%%writefile` cell wrote
    return bind_written_modules([c.source for c in notebook.cells], found)
