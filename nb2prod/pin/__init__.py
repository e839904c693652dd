"""Pin the library versions a notebook needs, from evidence, and say where each pin came from.

`pin_notebook(notebook)` is what `nb2prod pin` and `convert` call; see docs/pin.md for
the evidence and its precedence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Protocol

from nb2prod.analysis.statements import Statement
from nb2prod.core.config import config_for
from nb2prod.notebook.load import load
from nb2prod.notebook.model import Notebook
from nb2prod.pin.environment import Environment, canonical, clear_cache, environment_for
from nb2prod.pin.fuse import pin_notebook
from nb2prod.pin.model import EvidenceKind, PinResult

# The records themselves (Pin, Evidence, ...) are in nb2prod.pin.model.
__all__ = [
    "Environment",
    "EvidenceKind",
    "PinResult",
    "canonical",
    "clear_cache",
    "environment_for",
    "pin_file",
    "pin_notebook",
    "plan_requirements",
]


def pin_file(
    path: str, python: str | None = None, *, imported_modules: Iterable[str] | None = None
) -> PinResult:
    """Load a notebook and pin it, honouring `[tool.nb2prod]` select/ignore/per-file-ignores.

    Raises `InputError` for a notebook or interpreter that cannot be used.
    """
    options = config_for(path).options  # read first: a broken pyproject.toml is the user's to fix
    result = pin_notebook(load(path), python, imported_modules=imported_modules)
    relative = options.relative(path)
    kept = tuple(f for f in result.findings if options.enabled(f.code, relative))
    return replace(result, findings=kept)


class _PlanLike(Protocol):
    """What `plan_requirements` reads from convert's `Plan` (convert is a higher layer)."""

    @property
    def notebook_path(self) -> str: ...

    @property
    def imports(self) -> tuple[Statement, ...]: ...


def plan_requirements(
    plan: _PlanLike,
    python: str | None = None,
    *,
    imported_modules: Iterable[str] | None = None,
    notebook: Notebook | None = None,
) -> tuple[str, ...]:
    """The pinned requirements a generated package needs: the distributions of the imports it
    keeps, plus what the notebook installed without importing (often an optional dependency
    used indirectly, such as openpyxl for `pandas.read_excel`).

    Raises `InputError` when the notebook or its interpreter cannot be used.
    """
    if notebook is None:  # convert passes the notebook it already loaded
        notebook = load(plan.notebook_path)
    result = pin_notebook(notebook, python, imported_modules=imported_modules)
    kept = {
        imp.module.split(".")[0]
        for st in plan.imports
        for imp in st.symbols.imports
        if not imp.level
    }
    return tuple(
        pin.requirement
        for pin in result.pins
        if kept.intersection(pin.imports)
        or not pin.imports
        or any(e.kind == EvidenceKind.RUNTIME for e in pin.evidence)  # used indirectly by the run
    )
