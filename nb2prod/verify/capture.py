"""Capture the values that cross function boundaries, in the notebook run and in the package run.

In the notebook, a capture cell is injected after the cell holding each generated function's
last statement; it pickles that function's return values. In the package, each generated
function is wrapped so that its return values are pickled the same way. A value the capture
cell cannot see as the function returned it (a later statement in the same cell changes it)
is marked "not at the boundary" and reported unverified, never compared.

The code that runs in the kernel and in the package run is in `nb2prod.verify.programs`.
"""

from __future__ import annotations

import ast
import io
import json
import pickle
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nb2prod.convert.plan import Function, Plan
from nb2prod.notebook.model import Notebook
from nb2prod.verify.compare import PublicState, RunFunction
from nb2prod.verify.programs import program
from nb2prod.verify.programs.capture_hooks import (
    __nb2prod_NOT_AT_BOUNDARY__,
    __nb2prod_OBJECT__,
    __nb2prod_PUBLIC__,
    __nb2prod_RANDOM_STATE__,
    __nb2prod_SURROGATE__,
    __nb2prod_TYPES__,
    __nb2prod_UNCAPTURABLE__,
)

# Markers stored in place of a value that could not be captured, and the key of the stand-in
# stored for an unpicklable mapping ({SURROGATE: "module.Type", "items": {...}}): the
# capture hooks write them, this module reads them back. Beside the values: the digest of the
# global random generators (RANDOM_STATE) and descriptions of the run's own objects (PUBLIC).
UNCAPTURABLE = __nb2prod_UNCAPTURABLE__
NOT_AT_BOUNDARY = __nb2prod_NOT_AT_BOUNDARY__
SURROGATE = __nb2prod_SURROGATE__
RANDOM_STATE = __nb2prod_RANDOM_STATE__
PUBLIC = __nb2prod_PUBLIC__
OBJECT = __nb2prod_OBJECT__
TYPES = __nb2prod_TYPES__  # beside the values: {name: the type it had}
# Injected into the notebook before its first code cell: the capture hooks, the steady clock,
# then the seeds.
KERNEL_PRELUDE = ("capture_hooks", "clock", "seed")
# The package run: `python -c <program> <package> <JSON {function: [returned names]}>`.
PACKAGE_RUN = ("parent_death", "capture_hooks", "clock", "seed", "run_pipeline")


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


def _arguments_call(function: Function, hoisted: Mapping[str, str] | None = None) -> str:
    """`__nb2prod_arguments__('f', {'x': lambda: x})`: the types of the function's arguments."""
    getters = ast.Dict(
        keys=[ast.Constant(name) for name in function.params],
        values=[_getter(name, hoisted) for name in function.params],
    )
    return _call("__nb2prod_arguments__", ast.Constant(function.name), getters)


def _capture_call(
    function: Function, skip: tuple[str, ...] = (), hoisted: Mapping[str, str] | None = None
) -> str:
    """`__nb2prod_capture__('f', {'x': lambda: x}, ('y',))`, built as a tree."""
    getters = ast.Dict(
        keys=[ast.Constant(name) for name in function.returns],
        values=[_getter(name, hoisted) for name in function.returns],
    )
    skipped = ast.Tuple([ast.Constant(name) for name in skip], ast.Load())
    return _call("__nb2prod_capture__", ast.Constant(function.name), getters, skipped)


def _getter(name: str, hoisted: Mapping[str, str] | None = None) -> ast.Lambda:
    """`lambda: name`; for a metric the package names but the notebook only showed,
    `lambda: <the expression it showed>`."""
    no_arguments = ast.arguments(
        posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]
    )
    if hoisted and name in hoisted:
        body: ast.expr = ast.parse(hoisted[name], mode="eval").body
        return ast.Lambda(no_arguments, body)
    return ast.Lambda(no_arguments, ast.Name(name, ast.Load()))


def _call(function: str, *arguments: ast.expr) -> str:
    call = ast.Call(ast.Name(function, ast.Load()), list(arguments), [])
    return ast.unparse(ast.fix_missing_locations(ast.Expression(call)))


def notebook_injections(
    plan: Plan, notebook: Notebook, seed: int = 0
) -> tuple[list[Injection], list[InlineCapture]]:
    """Code to insert: seed and helpers first, a capture after each function, modules last.

    Where a function ends mid-cell and a later statement of that cell changes what it returned,
    the capture goes inside the cell, right after the function's last statement (between two
    top-level statements, so the cell's displayed output does not change). A `seed` other than
    the package run's 0 starts the global random generators elsewhere.
    """
    first_code = next((c.index for c in notebook.cells if c.is_code), 0)
    injections = [Injection(first_code, program(*KERNEL_PRELUDE))]
    if seed:
        injections.append(Injection(first_code, _call("__nb2prod_reseed__", ast.Constant(seed))))
    inline: list[InlineCapture] = []
    hoisted = dict(plan.hoisted)  # metrics the notebook only showed: captured by expression
    for function in plan.functions:
        if function.params:  # their types, where the function starts
            first = function.statements[0]
            starts_mid_cell = any(
                p.statement.cell == first.cell
                and p.statement.position < first.position
                and p.statement.code.strip()
                for p in plan.statements
            )
            if starts_mid_cell and first.lines_kept and first.line and notebook.format == "ipynb":
                inline.append(
                    InlineCapture(first.cell, first.line - 1, _arguments_call(function, hoisted))
                )
            else:
                injections.append(Injection(first.cell, _arguments_call(function, hoisted)))
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
            inline.append(
                InlineCapture(last.cell, last.end_line, _capture_call(function, hoisted=hoisted))
            )
            continue
        injections.append(Injection(last.cell + 1, _capture_call(function, unsafe, hoisted)))
    injections.append(Injection(len(notebook.cells), _call("__nb2prod_modules__")))
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


def package_run_command(plan: Plan) -> list[str]:
    """The command that runs the generated pipeline with every generated function wrapped for capture."""
    functions = {f.name: list(f.returns) for f in plan.functions if f.returns}
    return [sys.executable, "-c", program(*PACKAGE_RUN), plan.package, json.dumps(functions)]


@dataclass(frozen=True, slots=True)
class Captured:
    """Values one run captured: function -> name -> value (or a marker string).

    `random_states`: function -> digest of the global random generators' states where its
    values were captured ("" when unknown): equal digests, the same draws ahead.
    `types`: function -> returned name -> its type (`capture_hooks.__nb2prod_type_name__`);
    `arguments`: function -> parameter -> its type where the function started (the notebook
    run records them; in the package each argument is what an earlier function returned).
    """

    values: Mapping[str, Mapping[str, Any]]
    modules: tuple[str, ...]
    random_states: Mapping[str, str] = field(default_factory=dict)
    types: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    arguments: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def read_captures(folder: Path) -> Captured:
    """Read back what the capture hooks of one run wrote to `folder`.

    A value holding objects of the run's own classes (the notebook's `__main__`, the generated
    package) is read as the description the run made of it: such classes exist only there.
    """
    values: dict[str, Mapping[str, Any]] = {}
    random_states: dict[str, str] = {}
    types: dict[str, Mapping[str, str]] = {}
    for path in sorted(folder.glob("*.pkl")):
        with open(path, "rb") as handle:
            stored = pickle.load(handle)
        random_states[path.stem] = stored.pop(RANDOM_STATE, "")
        types[path.stem] = _type_names(stored.pop(TYPES, {}))
        described = stored.pop(PUBLIC, {})
        loaded: dict[str, Any] = {}
        for name, blob in stored.items():
            if name in described:
                try:
                    loaded[name] = public_states(pickle.loads(described[name]))
                    continue
                except Exception:  # a part of the description does not unpickle here either
                    pass
            if not isinstance(blob, bytes):
                loaded[name] = blob  # a marker string
                continue
            try:
                loaded[name] = _RunUnpickler(io.BytesIO(blob)).load()
            except Exception as exc:
                loaded[name] = (
                    f"{UNCAPTURABLE}: could not be read back here ({type(exc).__name__}: {exc})"
                )
        values[path.stem] = loaded
    arguments: dict[str, Mapping[str, str]] = {}
    for path in sorted(folder.glob("*.arguments.json")):
        try:
            recorded = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):  # a run killed while writing: no types
            continue
        arguments[path.name.removesuffix(".arguments.json")] = _type_names(recorded)
    modules: Sequence[str] = ()
    listing = folder / "__modules__.json"
    if listing.is_file():
        modules = json.loads(listing.read_text("utf-8"))
    return Captured(values, tuple(modules), random_states, types, arguments)


def _type_names(recorded: object) -> dict[str, str]:
    """{name: type} as the hooks recorded it, anything else left out."""
    if not isinstance(recorded, dict):
        return {}
    return {k: v for k, v in recorded.items() if isinstance(k, str) and isinstance(v, str)}


class _RunUnpickler(pickle.Unpickler):
    """Reads a run's value here, where the notebook's `__main__` and the package do not exist:
    a function of theirs held in the value (a search's `refit=`) comes back as its name."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "__main__":  # the notebook's, never this process's own __main__
            return RunFunction(name)
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):  # the generated package, not importable here
            return RunFunction(name)


def public_states(value: Any) -> Any:
    """Turn the capture's descriptions of the run's own objects into `PublicState` values."""
    kind = type(value)
    if kind is dict and OBJECT in value:
        state = {k: public_states(v) for k, v in value["state"].items()}
        return PublicState(value[OBJECT], state, bool(value.get("private")))
    if kind is dict:
        return {k: public_states(v) for k, v in value.items()}
    if kind in (list, tuple):
        return kind(public_states(x) for x in value)
    return value


def marker(value: Any) -> str | None:
    """The reason a captured value is missing, or None for a real value."""
    if isinstance(value, str) and value.startswith((UNCAPTURABLE, NOT_AT_BOUNDARY)):
        if value.startswith(NOT_AT_BOUNDARY):
            return "changed later in the same cell, so not seen at the function's boundary"
        return value[len(UNCAPTURABLE) + 2 :] or "could not be captured"
    return None
