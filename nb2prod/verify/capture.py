"""Capture the values that cross function boundaries, in the notebook run and in the package run.

In the notebook, a capture cell is injected after the cell holding each generated function's
last statement; it pickles that function's return values. In the package, each generated
function is wrapped so that its return values are pickled the same way. A value the capture
cell cannot see as the function returned it (a later statement in the same cell changes it)
is marked "not at the boundary" and reported unverified, never compared.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nb2prod.convert.plan import Function, Plan
from nb2prod.notebook.model import Notebook

# Markers stored in place of a value that could not be captured.
UNCAPTURABLE = "__nb2prod_uncapturable__"
NOT_AT_BOUNDARY = "__nb2prod_not_at_boundary__"
# Key of the stand-in stored for an unpicklable mapping: {SURROGATE: "module.Type", "items": {...}}.
SURROGATE = "__nb2prod_surrogate__"

# Seeding both runs the same way keeps unseeded randomness from hiding conversion errors
# (NB109 reports the notebook's missing seeds); both runs start from the same global state.
_SEED = """
import sys as __nb2prod_sys
__nb2prod_baseline__ = set(__nb2prod_sys.modules)  # what the kernel itself had loaded
import random as __nb2prod_random
__nb2prod_random.seed(0)
try:
    import numpy as __nb2prod_np
    __nb2prod_np.random.seed(0)
except ImportError:
    pass
"""

_HELPER = (
    '''
def __nb2prod_capture__(function, values, skip=()):
    import os, pickle
    folder = os.environ.get("NB2PROD_CAPTURE_DIR")
    if not folder:
        return
    stored = {}
    for name, getter in values.items():
        if name in skip:
            stored[name] = "'''
    + NOT_AT_BOUNDARY
    + '''"
            continue
        value = None
        try:
            value = getter()
            stored[name] = pickle.dumps(value)  # one by one: a bad value spoils only itself
        except Exception as exc:
            stored[name] = "'''
    + UNCAPTURABLE
    + ''': " + type(exc).__name__ + ": " + str(exc)[:200]
            try:  # a mapping holding a file (numpy's NpzFile): its type and items are what it holds
                import collections.abc
                if isinstance(value, collections.abc.Mapping):
                    kind = type(value).__module__ + "." + type(value).__qualname__
                    stored[name] = pickle.dumps({"'''
    + SURROGATE
    + """": kind, "items": dict(value)})
            except Exception:
                pass
    with open(os.path.join(folder, function + ".pkl"), "wb") as handle:
        pickle.dump(stored, handle)


def __nb2prod_modules__():
    import os, sys, json
    folder = os.environ.get("NB2PROD_CAPTURE_DIR")
    if folder:
        loaded = set(sys.modules) - __nb2prod_baseline__
        with open(os.path.join(folder, "__modules__.json"), "w") as handle:
            json.dump(sorted(m for m in loaded if not m.startswith("_")), handle)
"""
)


@dataclass(frozen=True, slots=True)
class Injection:
    before: int  # original cell index the code goes before (len(cells) for the end)
    source: str


def _boundary_unsafe(function: Function, plan: Plan) -> tuple[str, ...]:
    """Returned names that a later statement of the same cell rebinds or changes."""
    last = function.statements[-1]
    later = [
        p.statement
        for p in plan.statements
        if p.statement.cell == last.cell and p.statement.position > last.position
    ]
    touched = {r.name for st in later for r in st.symbols.defines} | {
        m.name for st in later for m in st.symbols.mutations
    }
    return tuple(n for n in function.returns if n in touched)


@dataclass(frozen=True, slots=True)
class InlineCapture:
    """A capture call inserted into a cell, after line `after_line`, where a function ends mid-cell."""

    cell: int
    after_line: int
    source: str


def _capture_call(function: Function, skip: tuple[str, ...] = ()) -> str:
    getters = ", ".join(f"{name!r}: lambda: {name}" for name in function.returns)
    return f"__nb2prod_capture__({function.name!r}, {{{getters}}}, {skip!r})"


def notebook_injections(
    plan: Plan, notebook: Notebook
) -> tuple[list[Injection], list[InlineCapture]]:
    """Code to insert: seed and helpers first, a capture after each function, modules last.

    Where a function ends mid-cell and a later statement of that cell changes what it returned,
    the capture goes inside the cell, right after the function's last statement (between two
    top-level statements, so the cell's displayed output does not change).
    """
    first_code = next((c.index for c in notebook.cells if c.is_code), 0)
    injections = [Injection(first_code, _SEED + _HELPER)]
    inline: list[InlineCapture] = []
    for function in plan.functions:
        if not function.returns:
            continue
        last = function.statements[-1]
        unsafe = _boundary_unsafe(function, plan)
        # ends mid-cell: later statements may change the values in ways data flow cannot see
        # (`model.fit(X)`), so capture right at the boundary whenever the cell's lines allow it
        mid_cell = any(
            p.statement.cell == last.cell
            and p.statement.position > last.position
            and p.statement.code.strip()
            for p in plan.statements
        )
        if mid_cell and last.lines_kept and last.end_line and notebook.format == "ipynb":
            inline.append(InlineCapture(last.cell, last.end_line, _capture_call(function)))
            continue
        injections.append(Injection(last.cell + 1, _capture_call(function, unsafe)))
    injections.append(Injection(len(notebook.cells), "__nb2prod_modules__()"))
    return injections, inline


def with_inline_captures(source: Path, inline: Sequence[InlineCapture], into: Path) -> Path:
    """Write a copy of the notebook (already copied with its folder to `into`) with the captures in."""
    data = json.loads(source.read_text("utf-8"))
    cells = data.get("cells")
    for capture in sorted(inline, key=lambda c: (c.cell, -c.after_line)):
        cell = cells[capture.cell]
        text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.insert(capture.after_line, capture.source + "\n")
        cell["source"] = "".join(lines)
    target = into / source.name
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


# The package run ends with the nb2prod process that started it, even when that one is SIGKILLed
# (Linux's PR_SET_PDEATHSIG; elsewhere nothing happens and the caller's clean-up is all there is).
_PARENT_DEATH = """
try:
    import ctypes as __nb2prod_ctypes, signal as __nb2prod_signal
    __nb2prod_ctypes.CDLL(None).prctl(1, __nb2prod_signal.SIGKILL)
except Exception:
    pass
"""


def package_runner(plan: Plan) -> str:
    """A script that runs the generated pipeline with every generated function wrapped for capture."""
    functions = {f.name: list(f.returns) for f in plan.functions if f.returns}
    return (
        _PARENT_DEATH
        + _SEED
        + _HELPER
        + f"""
import importlib
pipeline = importlib.import_module({plan.package + ".pipeline"!r})
FUNCTIONS = {json.dumps(functions)}


def _wrap(name, original, returns):
    def wrapper(*args, **kwargs):
        value = original(*args, **kwargs)
        values = value if len(returns) > 1 else (value,)
        __nb2prod_capture__(name, {{n: (lambda v=v: v) for n, v in zip(returns, values)}})
        return value
    return wrapper


for _name, _returns in FUNCTIONS.items():
    setattr(pipeline, _name, _wrap(_name, getattr(pipeline, _name), _returns))
pipeline.run()
__nb2prod_modules__()
"""
    )


@dataclass(frozen=True, slots=True)
class Captured:
    """Values one run captured: function -> name -> value (or a marker string)."""

    values: Mapping[str, Mapping[str, Any]]
    modules: tuple[str, ...]


def read_captures(folder: Path) -> Captured:
    values: dict[str, Mapping[str, Any]] = {}
    for path in sorted(folder.glob("*.pkl")):
        with open(path, "rb") as handle:
            stored = pickle.load(handle)
        loaded: dict[str, Any] = {}
        for name, blob in stored.items():
            if not isinstance(blob, bytes):
                loaded[name] = blob  # a marker string
                continue
            try:
                loaded[name] = pickle.loads(blob)
            except (
                Exception
            ) as exc:  # e.g. an instance of a class defined in the notebook's __main__
                loaded[name] = (
                    f"{UNCAPTURABLE}: could not be read back here ({type(exc).__name__}: {exc})"
                )
        values[path.stem] = loaded
    modules: Sequence[str] = ()
    listing = folder / "__modules__.json"
    if listing.is_file():
        modules = json.loads(listing.read_text("utf-8"))
    return Captured(values, tuple(modules))


def marker(value: Any) -> str | None:
    """The reason a captured value is missing, or None for a real value."""
    if isinstance(value, str) and value.startswith((UNCAPTURABLE, NOT_AT_BOUNDARY)):
        if value.startswith(NOT_AT_BOUNDARY):
            return "changed later in the same cell, so not seen at the function's boundary"
        return value[len(UNCAPTURABLE) + 2 :] or "could not be captured"
    return None
