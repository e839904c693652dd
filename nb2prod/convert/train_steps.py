"""train.py's statements as steps: the data step, the features, the fit, the metrics, the save.

`train()` runs the steps in order in one process; an orchestrator runs each as a task of its
own (`nb2prod export airflow`), with what the earlier steps made passed by file. A step is a
function `step_<name>(config, made) -> dict`: it reads the names it needs from `made`, runs
its statements under their own names, and returns the names later steps read. Which names
cross is found from the statements' syntax: a name bound in a step and read by a later one.

A name bound on one path only (under an `if`, in a loop) is returned only when bound, and
read back only when present, so that the later step sees what the notebook's code would.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import libcst as cst

_TopLevel = cst.SimpleStatementLine | cst.BaseCompoundStatement
# The steps, in the order they run: what each is, for its docstring.
STEPS: Mapping[str, str] = {
    "load_data": "Read the training rows (the notebook's data step) and learn their contract.",
    "prepare": "The features and the split: what the notebook does between reading and fitting.",
    "fit": "Fit the model.",
    "evaluate": "The metrics, the baseline drift is measured against, and the metadata.",
    "save": "Save the fitted objects as a new artifact version; what training made.",
}
# A step's function is PREFIX + its name (`step_fit`); export reads them back by it.
PREFIX = "step_"
# What train() puts in `made` before the first step: its arguments, under names the
# notebook's own `data` or `artifacts` cannot hide (name in `made` -> train()'s argument).
GIVEN: Mapping[str, str] = {
    "_data": "data",
    "_artifacts": "artifacts",
    "_contracts_mode": "contracts",
}
_NESTED = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


@dataclass(frozen=True, slots=True)
class Step:
    """A run of train.py's statements under one step name (a key of STEPS)."""

    name: str
    nodes: tuple[_TopLevel, ...]


@dataclass(frozen=True, slots=True)
class StepCode:
    """A step as the function train.py defines."""

    function: str  # `step_<name>`
    source: str  # the whole function


def step_functions(
    steps: Sequence[Step],
    config: Mapping[str, str],
    given: Sequence[str] = tuple(GIVEN),
    made: str | None = None,
) -> list[StepCode]:
    """The step functions, in order; the last one returns what `train()` returns.

    `config`: the notebook's names that come from the config, and their expressions
    (`config.seed`), bound in the first step that reads them; `given`: the names `train()`
    puts in `made` before the first step (its arguments); `made`: the steps' parameter
    holding them (default: `made`, unless the statements use that name)."""
    codes = [cst.Module(body=list(step.nodes)).code for step in steps]
    trees = [ast.parse(code) for code in codes]
    if made is None:
        made = "_made_before" if "made" in set().union(*map(_names, trees)) else "made"
    loads = [_loads(tree) for tree in trees]
    # name -> whether `made` surely holds it at this point
    present: dict[str, bool] = dict.fromkeys(given, True)
    rebound = set().union(*(_bound(tree.body)[1] for tree in trees))
    out: list[StepCode] = []
    for k, (step, tree, code) in enumerate(zip(steps, trees, codes, strict=True)):
        later = set().union(*loads[k + 1 :]) if k + 1 < len(loads) else set()
        surely, bound = _bound(tree.body)
        # a config value no step binds is read from the config where it is read; one a step
        # binds again is the config's value until then, and crosses steps as any name does
        first = [n for n in config if n in loads[k] and n not in present]
        crossing = {n for n in first if n in rebound}
        surely |= crossing
        bound |= crossing
        reads = sorted((loads[k] & present.keys()) - set(first))
        last = k == len(steps) - 1
        returns = [] if last else sorted(bound & later)
        header = [f"{n} = {config[n]}" for n in first]
        for name in reads:
            if present[name]:
                header.append(f"{name} = {made}[{name!r}]")
            else:
                header.append(f"if {name!r} in {made}:\n    {name} = {made}[{name!r}]")
        sure = [n for n in returns if n in surely or (n in reads and present[n])]
        maybe = [n for n in returns if n not in sure]
        for name in returns:
            present[name] = present.get(name, False) or name in sure
        body = "\n".join([*header, code.rstrip("\n")])
        if not last:
            result = "{" + ", ".join(f"{n!r}: {n}" for n in sure) + "}"
            if maybe:
                body += f"\n_made: dict[str, Any] = {result}"
                for name in maybe:  # bound on one path only
                    body += f"\nif {name!r} in locals():\n    _made[{name!r}] = {name}"
                body += "\nreturn _made"
            else:
                body += f"\nreturn {result}"
        returned = "TrainResult" if last else "dict[str, Any]"
        doc = STEPS[step.name]
        source = (
            f"def {PREFIX}{step.name}(config: Config, {made}: Mapping[str, Any]) -> {returned}:\n"
            f'    """{doc}"""\n' + _indent(body)
        )
        out.append(StepCode(PREFIX + step.name, source))
    return out


def names_of(nodes: Sequence[_TopLevel]) -> set[str]:
    """Every name the statements read or bind: a step's own names must not take them."""
    return _names(ast.parse(cst.Module(body=list(nodes)).code))


def _names(tree: ast.Module) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | _bound(tree.body)[1]


def _indent(text: str) -> str:
    return "".join(("    " + line if line.strip() else line) for line in text.splitlines(True))


def _loads(tree: ast.Module) -> set[str]:
    """Names the statements read (`x += 1` reads x), in nested scopes too."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Load, ast.Del)):
            found.add(node.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
    return found


def _bound(body: Sequence[ast.stmt]) -> tuple[set[str], set[str]]:
    """(names surely bound once the statements ran, names bound on some path)."""
    surely: set[str] = set()
    anywhere: set[str] = set()
    for statement in body:
        anywhere |= _binds(statement)
        surely |= _surely(statement) or set()
    return surely, anywhere


def _binds(node: ast.AST) -> set[str]:
    """Names a statement binds in the scope it runs in (not in functions or comprehensions
    it holds; an `except ... as e` name is unbound again when its handler ends)."""
    found: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, _NESTED):
        return found
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"}
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        found.add(node.id)
    if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
        found.add(node.name)
    if isinstance(node, ast.MatchMapping) and node.rest:
        found.add(node.rest)
    for child in ast.iter_child_nodes(node):
        found |= _binds(child)
    if isinstance(node, ast.ExceptHandler) and node.name:
        found.discard(node.name)
    return found


def _surely(statement: ast.stmt) -> set[str] | None:
    """Names bound on every path through the statement; None: no path goes past it."""
    if isinstance(statement, (ast.Raise, ast.Return)):
        return None
    if isinstance(statement, (ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom)):
        return _binds(statement)
    if isinstance(statement, ast.AnnAssign):
        return _binds(statement) if statement.value is not None else set()
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        block = _block(statement.body)
        items = set().union(*(_binds(i) for i in statement.items))
        return None if block is None else block | items
    if isinstance(statement, ast.If):
        return _either(_block(statement.body), _block(statement.orelse))
    if isinstance(statement, ast.Try):
        common = _block([*statement.body, *statement.orelse])
        for handler in statement.handlers:
            common = _either(common, _block(handler.body))
        final = _block(statement.finalbody)
        if common is None or final is None:
            return None
        return common | final
    return set()


def _block(body: Sequence[ast.stmt]) -> set[str] | None:
    found: set[str] = set()
    for statement in body:
        surely = _surely(statement)
        if surely is None:
            return None
        found |= surely
    return found


def _either(one: set[str] | None, other: set[str] | None) -> set[str] | None:
    """Bound after one of two paths: what both bind; a path that never ends binds anything."""
    if one is None:
        return other
    if other is None:
        return one
    return one & other
