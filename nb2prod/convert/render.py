"""Render a plan into the files of a package, in memory (`Package`), ready for the static check.

Function bodies are assembled with LibCST so statements keep their comments and multi-line
strings keep their exact text; unused imports are dropped per module and the rest sorted
with isort; every Python file is formatted with black.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import black
import isort
import jinja2
import libcst as cst

from nb2prod import __version__
from nb2prod.analysis.embedded import names_in_call
from nb2prod.analysis.imports import bind_imports
from nb2prod.analysis.statements import Statement
from nb2prod.convert.annotations import Annotations, annotate_module
from nb2prod.convert.dependencies import LockFile, Requirement, unpinned
from nb2prod.convert.plan import Definition, Function, Plan
from nb2prod.core.errors import InternalError
from nb2prod.core.vocabulary import Role

_BLACK_MODE = black.Mode()  # 88 columns: what black, isort and ruff agree on by default
MODULE_TITLES: dict[str, tuple[str, str]] = {
    Role.DATA: ("Data loading", "Reading (and writing) the data the notebook works on."),
    Role.FEATURES: ("Feature engineering", "Transformations that turn raw data into model inputs."),
    Role.MODEL: ("Model", "Training, prediction and evaluation."),
    Role.BUSINESS: ("Business rules", "Decisions and rules applied to model outputs."),
}
MARKER = ".nb2prod-generated"
_TopLevel = cst.SimpleStatementLine | cst.BaseCompoundStatement  # what a module's body holds


@dataclass(frozen=True, slots=True)
class Package:
    """The generated files, relative path -> text, and where each function came from."""

    name: str
    files: Mapping[str, str]
    provenance: Mapping[str, tuple[int, ...]]  # "module.function" -> notebook cells


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["first_line"] = lambda text: (text.strip().splitlines() or [""])[0][:80]
    return env


def _template_source(name: str) -> str:
    return resources.files("nb2prod.templates").joinpath(name).read_text("utf-8")


def render_template(name: str, **values: Any) -> str:
    """Fill one of the templates shipped in `templates/`."""
    return _environment().get_template(name).render(**values)


def format_source(code: str, path: str) -> str:
    """Generated Python as black formats it (`path` names the file in the error)."""
    return _format(code, path)


def _format(code: str, path: str) -> str:
    try:
        return _black(code)
    except Exception as exc:  # black rejects what it cannot parse: a bug in our rendering
        raise InternalError(f"black could not format generated {path}: {exc}") from exc


@lru_cache(maxsize=64)
def _black(code: str) -> str:
    # black is deterministic in its input; the static check's second rendering reuses it
    return black.format_str(code, mode=_BLACK_MODE)


def _prune_imports(code: str, package: str) -> str:
    """Drop the imports a module does not use, then sort the rest (isort, black profile).

    LibCST's RemoveUnusedImportsCommand took ~1.8 s per module on the largest corpus
    notebook (it resolves scopes for the whole module); which names a module reads is
    already known from `ast`, so unused import aliases are filtered with it instead.
    """
    tree = ast.parse(code)
    used: set[str] = set()
    in_strings: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            used.add(node.id)
        elif isinstance(node, ast.Call):  # `smf.ols("y ~ double_it(x)")` reads double_it
            in_strings.update(e.name for e in names_in_call(node))
    only_in_strings = in_strings - used
    used |= in_strings
    head = 0  # last line of the module's docstring and leading imports
    for node in tree.body:
        if not (
            isinstance(node, (ast.Import, ast.ImportFrom))
            or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        ):
            break
        head = node.end_lineno or node.lineno
    lines = code.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []
    for node in tree.body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or (
            isinstance(node, ast.ImportFrom) and node.module == "__future__"
        ):
            continue
        kept = [
            a for a in node.names if a.name == "*" or (a.asname or a.name.split(".")[0]) in used
        ]
        # linters see no use of a name only a formula string reads: say why it is imported
        noqa = any((a.asname or a.name.split(".")[0]) in only_in_strings for a in kept)
        if len(kept) == len(node.names) and not noqa:
            continue
        text = ""
        if kept:
            names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in kept)
            if isinstance(node, ast.Import):
                text = f"import {names}"
            else:
                text = f"from {'.' * node.level}{node.module or ''} import {names}"
            text += "  # noqa: F401  (a formula string reads it)\n" if noqa else "\n"
        edits.append((node.lineno, node.end_lineno or node.lineno, text))
    for start, end, text in reversed(edits):
        lines[start - 1 : end] = [text]
        if end <= head:
            head -= end - start  # those lines became one
    # isort gets the leading block and the line after it (its blank-line rule looks there): given
    # the whole module it would also sort and de-duplicate imports inside function bodies, which
    # are the notebook's own statements and must stay as written (the static check counts them)
    while head < len(lines) and not lines[head].strip():
        head += 1
    head = min(head + 1, len(lines))
    return isort.code(
        "".join(lines[:head]), profile="black", known_first_party=[package]
    ) + "".join(lines[head:])


def _statement_nodes(statement: Statement) -> list[_TopLevel]:
    """The statement's LibCST nodes, with the comments above it attached to the first."""
    return list(_parsed_statement(statement.code))


@lru_cache(maxsize=4096)
def _parsed_statement(code: str) -> tuple[_TopLevel, ...]:
    # LibCST nodes are immutable, so the static check's second rendering can reuse them
    module = cst.parse_module(code + "\n")
    body = list(module.body)
    if body and module.header:
        first = body[0]
        body[0] = first.with_changes(leading_lines=[*module.header, *first.leading_lines])
    return tuple(body)


def _annotation(count: int) -> str:
    if count == 0:
        return "None"
    if count == 1:
        return "Any"
    return "tuple[" + ", ".join(["Any"] * count) + "]"


def _figure_closes(plan: Plan) -> tuple[str, frozenset[str]]:
    """The pyplot alias, and the statements after which the notebook's figures were closed.

    Jupyter's inline backend shows and closes every figure at the end of each cell, so the
    next cell draws on a fresh figure. A package has no cells: without a close, a later
    `plt.text(...)` lands on whatever axes an earlier step left current (a 3-D one, say).
    The close goes after the last statement of each cell that draws, directly or through one
    of the notebook's own functions.
    """
    aliases: dict[str, str] = {}
    for st in plan.imports:
        bind_imports(aliases, st.symbols.imports)
    pyplot = next((name for name, target in aliases.items() if target == "matplotlib.pyplot"), None)
    if pyplot is None:
        return "", frozenset()
    drawing = {pyplot}
    changed = True
    while changed:  # the notebook's functions that draw, through each other too
        changed = False
        for d in plan.definitions:
            reads = {
                r.name for r in (*d.statement.symbols.uses, *d.statement.symbols.deferred_uses)
            }
            if d.name not in drawing and reads & drawing:
                drawing.add(d.name)
                changed = True
    closes = set()
    for function in plan.functions:
        statements = function.statements
        drawing_cells = {
            s.cell for s in statements if any(r.name in drawing for r in s.symbols.uses)
        }
        for st, following in zip(statements, (*statements[1:], None), strict=False):
            if st.cell in drawing_cells and (following is None or following.cell != st.cell):
                closes.add(st.key)
    return pyplot, frozenset(closes)


def _function_code(
    function: Function,
    config_fields: Mapping[str, Any],
    figures: tuple[str, frozenset[str]] = ("", frozenset()),
) -> str:
    params = [f"{p}: Any" for p in function.params]
    if function.takes_config:
        params.append("config: Config")
    cells = ", ".join(str(c) for c in function.cells)
    where = f' under "{function.heading}"' if function.heading else ""
    doc = f'"""{function.role.value.capitalize()} step from notebook cells {cells}{where}."""'
    header = f"def {function.name}({', '.join(params)}) -> {_annotation(len(function.returns))}:\n    {doc}\n"
    prelude = []
    for name in function.config_names:
        field = config_fields[name]
        value = f"config.path(config.{field.field})" if field.is_path else f"config.{field.field}"
        prelude.append(f"    {name} = {value}\n")
    skeleton = cst.parse_module(header + "".join(prelude) + "    pass\n")
    fn = skeleton.body[0]
    assert isinstance(fn, cst.FunctionDef) and isinstance(fn.body, cst.IndentedBlock)
    head = list(fn.body.body[:-1])  # docstring and prelude, without the `pass`
    body: list[cst.BaseStatement] = head
    pyplot, closes = figures
    for statement in function.statements:
        body.extend(_statement_nodes(statement))
        if statement.key in closes:
            body.append(
                cst.parse_statement(
                    f'{pyplot}.close("all")  # the notebook closed its figures after cell {statement.cell}\n'
                )
            )
    if function.returns:
        value = ", ".join(function.returns)
        body.append(cst.parse_statement(f"return {value}\n"))
    fn = fn.with_changes(body=fn.body.with_changes(body=body))
    return cst.Module(body=[]).code_for_node(fn)


def _definition_code(definition: Definition) -> str:
    nodes = _statement_nodes(definition.statement)
    return cst.Module(body=nodes).code.strip("\n")


def render(
    plan: Plan,
    dependencies: Sequence[str | Requirement] | None = None,
    *,
    out_dir: Path | None = None,
    lock: LockFile | None = None,
    annotations: Annotations | None = None,
) -> Package:
    """All files of the package, as text; `dependencies` default to unpinned distribution names
    of what the package's code imports.

    `out_dir`: where the package will be written (the tests find the project root from there);
    by default the folder `convert` writes to, beside the notebook. `lock`: the environment's
    lock file, written beside pyproject.toml. `annotations`: the types verification captured,
    written instead of `Any` in the functions' signatures and `Results` (convert/annotations.py).
    """
    package = plan.package
    notebook_name = Path(plan.notebook_path).name
    config_fields = {c.name: c for c in plan.config}
    import_code = "\n".join(dict.fromkeys(s.code.strip() for s in plan.imports))
    needs_subprocess = any(
        "subprocess.run(" in s.code for f in plan.functions for s in f.statements
    )
    # %cd and %env become os.chdir(...) and os.environ[...] (analysis/statements.py)
    needs_os = any(
        "os.chdir(" in s.code or "os.environ[" in s.code
        for f in plan.functions
        for s in f.statements
    )
    definition_module = {d.name: d.module for d in plan.definitions}
    for d in plan.definitions:
        for node in d.statement.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                definition_module[node.name] = d.module
    figures = _figure_closes(plan)

    files: dict[str, str] = {}
    provenance: dict[str, tuple[int, ...]] = {}
    for module in plan.modules:
        functions = [f for f in plan.functions if f.module == module]
        definitions = [d for d in plan.definitions if d.module == module]
        constants: list[str] = []
        cross_imports: set[tuple[str, str]] = set()
        for d in definitions:
            for name in d.global_reads:
                if name in config_fields:
                    # only a class still reads a field as a global (plan warns): the default
                    field = config_fields[name]
                    value = (
                        f"DEFAULTS.path(DEFAULTS.{field.field})"
                        if field.is_path
                        else f"DEFAULTS.{field.field}"
                    )
                    line = f"{name} = {value}  # the notebook's value; options do not reach it"
                    if line not in constants:
                        constants.append(line)
                elif name in definition_module and definition_module[name] != module:
                    cross_imports.add((definition_module[name], name))
        for f in functions:
            for name in f.definitions_used:
                if definition_module.get(name, module) != module:
                    cross_imports.add((definition_module[name], name))
        lines = [
            import_code,
            "from typing import Any",
            f"from {package}.config import DEFAULTS, Config",
        ]
        if needs_subprocess:
            lines.append("import subprocess")
        if needs_os and not any(line.strip() == "import os" for line in import_code.splitlines()):
            lines.append("import os")
        if any(
            "functools.partial(" in s.code
            for s in [
                *(s for f in functions for s in f.statements),
                *(d.statement for d in definitions),
            ]
        ) and not any(line.strip() == "import functools" for line in import_code.splitlines()):
            lines.append(
                "import functools"
            )  # a notebook function passed as a value, with its inputs
        lines += [f"from {package}.{m} import {n}" for m, n in sorted(cross_imports)]
        title, description = MODULE_TITLES[module]
        text = render_template(
            "module.py.j2",
            title=title,
            description=description,
            notebook_name=notebook_name,
            imports="\n".join(lines),
            module_constants=constants,
            definitions=[_definition_code(d) for d in definitions],
            functions=[_function_code(f, config_fields, figures) for f in functions],
        )
        path = f"src/{package}/{module}.py"
        text = _prune_imports(text, package)
        if annotations is not None:  # the types verification captured, instead of `Any`
            text = _prune_imports(annotate_module(text, annotations, package), package)
        files[path] = _format(text, path)
        for f in functions:
            provenance[f"{module}.{f.name}"] = f.cells
        for d in definitions:
            provenance[f"{module}.{d.name}"] = (d.statement.cell,)

    files[f"src/{package}/config.py"] = _format(
        _prune_imports(
            render_template(
                "config.py.j2",
                package=package,
                notebook_name=notebook_name,
                example_option=(
                    plan.config[0].field.replace("_", "-") if plan.config else "base-dir"
                ),
                base_where=(
                    "the notebook's folder"
                    if plan.base_dir == "."
                    else f"the project root (`{plan.base_dir}` from the notebook's folder)"
                ),
                base_comment=(
                    "the notebook's folder"
                    if plan.base_dir == "."
                    else f"the project root: {plan.base_dir} from the notebook's folder"
                ),
                fields=[
                    {
                        "field": c.field,
                        "name": c.name,
                        "cell": c.cell,
                        "default": _default(c.value, c.type_name),
                        "annotation": _field_annotation(c.type_name),
                    }
                    for c in plan.config
                ],
            ),
            package,
        ),
        "config.py",
    )
    pipeline = _prune_imports(_pipeline(plan), package)
    if annotations is not None:  # `Results` fields typed too
        pipeline = annotate_module(pipeline, annotations, package, results=True)
        pipeline = _prune_imports(pipeline, package)
    files[f"src/{package}/pipeline.py"] = _format(pipeline, "pipeline.py")
    files[f"src/{package}/__main__.py"] = _format(
        render_template("__main__.py.j2", package=package), "__main__.py"
    )
    files[f"src/{package}/__init__.py"] = (
        f'"""{package}: generated by nb2prod {__version__} from {notebook_name}."""\n'
    )
    files["tests/test_package.py"] = _format(
        _prune_imports(
            render_template(
                "test_package.py.j2",
                package=package,
                modules=repr(["config", "pipeline", *plan.modules]),
                fields=[{"field": c.field, "default": c.value} for c in plan.config],
                project_files=list(plan.project_files),
                root_from_package=root_from_package(plan, out_dir),
                readers=_config_readers(plan, definition_module),
            ),
            package,
        ),
        "tests/test_package.py",
    )
    files["nb2prod-report.md"] = (
        render_template(
            "report.md.j2",
            notebook_name=notebook_name,
            package=package,
            functions=plan.functions,
            definitions=plan.definitions,
            config=plan.config,
            statements=plan.statements,
            warnings=plan.warnings,
            n_kept=sum(1 for p in plan.statements if p.kept),
            n_dropped=sum(1 for p in plan.statements if not p.kept),
        )
        + plan.local.report_markdown()
    )
    files.update(plan.local.files(package))  # the notebook's own modules, under _vendor/
    if dependencies is None:  # what the written code imports, vendored modules included
        dependencies = unpinned(files, package, plan.local.dependency_names)
    files["pyproject.toml"] = render_pyproject(plan, dependencies)
    report = report_json(plan, provenance)
    report["dependencies"] = [getattr(d, "requirement", d) for d in dependencies]
    if lock is not None:
        files[lock.name] = lock.text
        report["lock"] = {"file": lock.name, "hashed": lock.hashed, "note": lock.note}
    files["nb2prod-report.json"] = json.dumps(report, indent=2) + "\n"
    files[MARKER] = f"generated by nb2prod {__version__} from {notebook_name}\n"
    return Package(package, files, provenance)


def root_from_package(plan: Plan, out_dir: Path | None) -> str:
    """The project root (`plan.base_dir`) from the package's folder, POSIX: relative, unless the
    two share no folder but `/` (a package written to /tmp for a project in /home)."""
    notebook_dir = Path(os.path.abspath(plan.notebook_path)).parent
    package_dir = Path(os.path.abspath(out_dir)) if out_dir else notebook_dir / plan.package
    root = Path(os.path.normpath(notebook_dir / plan.base_dir))
    if Path(os.path.commonpath([root, package_dir])) == Path(root.anchor):
        return root.as_posix()
    return Path(os.path.relpath(root, package_dir)).as_posix()


# The checks the generated code passes: nb2prod's own ruff rule set, and mypy without `strict`
# (the notebook's functions have no annotations). The notebook's statements are kept as written
# (the static check finds each exactly once), so rules on their style skip the role modules.
_CHECKS = """
[tool.ruff]
line-length = 100
target-version = "py310"

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "SIM", "RUF"]
ignore = ["E501"]  # black decides line breaks; strings and comments stay whole

[tool.ruff.lint.per-file-ignores]
# the notebook's own code, as written
"src/{package}/{{data,features,model,business}}.py" = [
    "B006", "B007", "B008", "B905", "E731", "E741", "F841", "RUF001", "RUF002", "RUF003",
    "RUF005", "RUF059", "SIM", "UP", "W605",
]

[tool.ruff.lint.isort]
known-first-party = ["{package}"]

[tool.mypy]
python_version = "3.10"
files = ["src"]
ignore_missing_imports = true  # pandas, scikit-learn... ship no type information
# notebook code binds one name to values of several types, and leaves its locals unannotated
disable_error_code = ["assignment", "var-annotated"]
warn_unused_ignores = true
"""


def render_pyproject(plan: Plan, dependencies: Sequence[str | Requirement]) -> str:
    """The package's pyproject.toml alone; `dependencies` are requirement strings or records."""
    return _with_checks(plan.package, _pyproject_text(plan, dependencies))


def _with_checks(package: str, text: str) -> str:
    """pyproject.toml with the ruff and mypy settings the generated code passes."""
    return text.rstrip("\n") + "\n" + _CHECKS.format(package=package)


def _pyproject_text(plan: Plan, dependencies: Sequence[str | Requirement]) -> str:
    return render_template(
        "pyproject.toml.j2",
        package=plan.package,
        distribution=plan.package.replace("_", "-"),
        notebook_name=Path(plan.notebook_path).name,
        requires_python=">=3.10",
        dependencies=[
            *dependencies,
            *(
                r
                for r in plan.local_requirements
                if r not in [getattr(d, "requirement", d) for d in dependencies]
            ),
        ],
    )


def _config_readers(plan: Plan, definition_module: Mapping[str, str]) -> list[dict[str, Any]]:
    """Per config field, every function binding its notebook name from the `config` it is given."""
    readers: list[dict[str, Any]] = []
    for c in plan.config:
        found = [(f.module, f.name, "config") for f in plan.functions if c.name in f.config_names]
        found += [
            (definition_module[e.name], e.name, e.config)
            for e in plan.explicit
            if e.config and c.name in e.config_reads
        ]
        readers += [
            {
                "field": c.field,
                "name": c.name,
                "module": module,
                "function": function,
                "parameter": parameter,
                "is_path": c.is_path,
            }
            for module, function, parameter in found
        ]
    return readers


def _default(value: str, type_name: str) -> str:
    # mutable values keep their type (a list stays a list) through a factory
    if type_name in ("list", "dict", "set"):
        return f"field(default_factory=lambda: {value})"
    return value


def _field_annotation(type_name: str) -> str:
    return {
        "list": "list[Any]",
        "dict": "dict[Any, Any]",
        "set": "set[Any]",
        "tuple": "tuple[Any, ...]",
        "object": "Any",
        "NoneType": "Any",
    }.get(type_name, type_name)


def _pipeline(plan: Plan) -> str:
    body: list[str] = []
    results = plan.result_fields
    for f in plan.functions:
        args = list(f.params) + (["config"] if f.takes_config else [])
        call = f"{f.name}({', '.join(args)})"
        if f.returns:
            body.append(f"{', '.join(f.returns)} = {call}")
        else:
            body.append(call)
    module_imports = []
    for module in plan.modules:
        names = [f.name for f in plan.functions if f.module == module]
        if names:
            module_imports.append((module, names))
    return render_template(
        "pipeline.py.j2",
        package=plan.package,
        notebook_name=Path(plan.notebook_path).name,
        module_imports=module_imports,
        results=results,
        body=body,
    )


def report_json(plan: Plan, provenance: Mapping[str, tuple[int, ...]]) -> dict[str, Any]:
    return {
        "version": 1,
        "notebook": Path(plan.notebook_path).name,
        "package": plan.package,
        "functions": [
            {
                "name": f.name,
                "module": f.module,
                "role": f.role.value,
                "cells": list(f.cells),
                "params": list(f.params),
                "returns": list(f.returns),
                "config": list(f.config_names),
            }
            for f in plan.functions
        ],
        "definitions": [
            {
                "name": d.name,
                "module": d.module,
                "cell": d.statement.cell,
                "global_reads": list(d.global_reads),
            }
            for d in plan.definitions
        ],
        "config": [
            {
                "field": c.field,
                "name": c.name,
                "value": c.value,
                "type": c.type_name,
                "is_path": c.is_path,
                "cell": c.cell,
            }
            for c in plan.config
        ],
        "statements": [
            {
                "cell": p.statement.cell,
                "cell_id": p.statement.cell_id,
                "position": p.statement.position,
                "line": p.statement.line,
                "role": p.role.value,
                "kept": p.kept,
                "destination": p.function,
                "reason": p.reason,
                "rewrite": p.statement.rewrite,
            }
            for p in plan.statements
        ],
        "results": list(plan.results),
        "requirements": list(plan.requirements),
        "warnings": list(plan.warnings),
        # only when the notebook imports modules of its own (docs/convert.md)
        **(
            {"local_modules": [m.to_json() for m in plan.local.modules]}
            if plan.local.modules
            else {}
        ),
        "provenance": {k: list(v) for k, v in provenance.items()},
    }
