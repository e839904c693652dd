"""Plan a package from a notebook: roles, config fields, functions with inferred signatures.

The plan is a pure value: rendering reads it, verification (next stage) reads which
values cross which function boundary (`Function.params` / `Function.returns`).
"""

from __future__ import annotations

import ast
import keyword
import os
import re
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import libcst as cst
from libcst.metadata import GlobalScope, ScopeProvider

from nb2prod.analysis.dataflow import analyze_tree
from nb2prod.analysis.imports import bind_imports, carry_modules, qualify
from nb2prod.analysis.random_sinks import root_name
from nb2prod.analysis.statements import Statement, split_cells
from nb2prod.analysis.symbols import is_known_name
from nb2prod.analysis.syntax import dotted_name
from nb2prod.convert.local_modules import VENDORED, LocalCode, plan_local_code
from nb2prod.convert.names import (
    config_field_name,
    function_name,
    is_import_statement,
    names_in,
    rebound_aliases,
)
from nb2prod.convert.roles import (
    RoleDecision,
    classify,
    config_assignment,
    config_literal,
    figure_apis,
    headings,
)
from nb2prod.core.errors import TooLarge, UnparsableCell, UnsupportedCode
from nb2prod.core.vocabulary import MODULE_ROLES, Role
from nb2prod.notebook.model import Notebook
from nb2prod.notebook.project_root import (
    PathSite,
    find_project,
    is_relative,
    looks_like_path,
    path_dir,
    path_names,
    path_sites,
    rebase,
)

# Each module is named after its role; the names stay plain strings (they are rendered with repr).
MODULE_OF_ROLE = {role: role.value for role in MODULE_ROLES}
_PATHLIKE = re.compile(r"(path|dir|folder|file|root)", re.I)
# black's time grows with the square of a module's length (4,000 statements: ~30 s of convert);
# the largest notebook of ../shared/corpora has 279 code cells.
MAX_STATEMENTS = 5_000
_TOO_MANY = f"convert handles at most {MAX_STATEMENTS:,} (split the notebook)"
_PATH_SETUP = (
    "changes sys.path for the notebook's own modules: meaningless in a package, which "
    "carries them (see Local modules)"
)
_PATH_VALUE = "a folder only the dropped sys.path statements read"
_RELOCATED = "relative paths resolve against config.base_dir (config.path)"


@dataclass(frozen=True, slots=True)
class PlannedStatement:
    statement: Statement
    role: Role
    reason: str
    kept: bool
    function: str | None = None  # the generated function (or definition) it went to

    @property
    def where(self) -> str:
        return f"cell {self.statement.cell}, statement {self.statement.position + 1}"


@dataclass(frozen=True, slots=True)
class ConfigField:
    name: str  # as in the notebook (PD_THRESHOLD)
    field: str  # Config attribute and CLI option (pd_threshold, --pd-threshold)
    value: str  # Python literal source
    type_name: str
    is_path: bool
    cell: int
    position: int = 0  # of the statement within its cell


@dataclass(frozen=True, slots=True)
class Definition:
    """A function or class the notebook defines, moved unchanged to its role's module."""

    name: str
    module: str
    statement: Statement
    global_reads: tuple[str, ...]  # module-level names its body reads, set by the pipeline


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    role: Role
    module: str
    params: tuple[str, ...]
    returns: tuple[str, ...]
    config_names: tuple[str, ...]
    statements: tuple[Statement, ...]
    heading: str
    definitions_used: tuple[str, ...] = ()
    paths: bool = False  # its statements read `config.path(...)`: relative to base_dir
    passes_config: bool = False  # it calls notebook functions that take the run's config

    @property
    def cells(self) -> tuple[int, ...]:
        return tuple(sorted({s.cell for s in self.statements}))

    @property
    def takes_config(self) -> bool:
        """Whether the function takes `config: Config` (fields it reads, or paths it resolves)."""
        return bool(self.config_names) or self.paths or self.passes_config


@dataclass(frozen=True, slots=True)
class Plan:
    notebook_path: str
    package: str
    imports: tuple[Statement, ...]
    config: tuple[ConfigField, ...]
    definitions: tuple[Definition, ...]
    functions: tuple[Function, ...]
    statements: tuple[PlannedStatement, ...]
    results: tuple[str, ...]
    requirements: tuple[str, ...]
    warnings: tuple[str, ...] = field(default=())
    local: LocalCode = field(default=LocalCode())  # the notebook's own modules
    # the folder the package's relative paths start from, relative to the notebook's folder
    # (POSIX): its project root, as far as its file operations need it ("." for its own folder)
    base_dir: str = "."
    # files the notebook's paths name that existed when it was converted, relative to base_dir
    project_files: tuple[str, ...] = ()
    # the notebook's functions given, at each call, what they read as globals
    explicit: tuple[ExplicitInputs, ...] = ()
    # names bound to figures, axes or display objects: passed between functions when read,
    # never a field of `Results`
    display_values: tuple[str, ...] = ()
    # metrics the notebook only showed, now named (name, the expression it showed): the
    # notebook never binds the name, so its run evaluates the expression to capture the value
    hoisted: tuple[tuple[str, str], ...] = ()

    @property
    def result_fields(self) -> tuple[str, ...]:
        """The fields of `Results`: what the functions return, that a user wants to see."""
        names = dict.fromkeys(n for f in self.functions for n in f.returns)
        hidden = set(self.display_values)
        return tuple(n for n in names if not n.startswith("_") and n not in hidden)

    @property
    def local_requirements(self) -> tuple[str, ...]:
        """Path dependencies on the installable local packages the notebook imports."""
        return self.local.requirements

    @property
    def modules(self) -> tuple[str, ...]:
        used = {f.module for f in self.functions} | {d.module for d in self.definitions}
        return tuple(m for m in MODULE_OF_ROLE.values() if m in used)

    @property
    def dropped(self) -> tuple[PlannedStatement, ...]:
        return tuple(p for p in self.statements if not p.kept)


# the generated package's own modules, and pytest's folders
_RESERVED = frozenset({"test", "tests", "config", "data", "model", "pipeline"})


def package_name(
    notebook_path: str, requested: str | None = None, imported: Collection[str] = ()
) -> str:
    """A valid import name from --name or the notebook's file name.

    A name taken from the file is never one `import` already finds where the package runs: a
    standard library module, a library the notebook imports (`imported`, top-level names), or
    a module beside the notebook (a jupytext `analysis.py` is itself the module `analysis`,
    and would hide the package from `python -m analysis`)."""
    raw = requested or Path(notebook_path).stem
    name = re.sub(r"[^0-9a-zA-Z_]+", "_", raw).strip("_").lower() or "notebook"
    if name[0].isdigit():
        name = "nb_" + name
    reserved = keyword.iskeyword(name) or name in _RESERVED
    taken = requested is None and (
        name in sys.stdlib_module_names
        or name in imported
        or _importable_beside(Path(notebook_path), name)
    )
    return name + "_pkg" if reserved or taken else name


def _importable_beside(notebook: Path, name: str) -> bool:
    folder = notebook.parent
    return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()


def _uses(st: Statement) -> list[str]:
    seen: dict[str, None] = {}
    for ref in st.symbols.uses + st.symbols.deferred_uses:
        seen.setdefault(ref.name, None)
    for m in st.symbols.mutations:
        seen.setdefault(m.name, None)
    return list(seen)


def _defines(st: Statement) -> list[str]:
    seen: dict[str, None] = {}
    for ref in st.symbols.defines:
        seen.setdefault(ref.name, None)
    for m in st.symbols.mutations:
        seen.setdefault(m.name, None)
    return list(seen)


def make_plan(
    notebook: Notebook,
    *,
    package: str | None = None,
    role_overrides: Mapping[str, str] | None = None,
) -> Plan:
    """Plan the package for a notebook; raise `InputError` when a cell cannot be converted."""
    cells = sum(1 for c in notebook.code_cells if not c.is_blank)
    if cells > MAX_STATEMENTS:  # checked before parsing: 50,000 cells would take ~20 s to split
        raise TooLarge(notebook.path, f"has {cells:,} code cells; {_TOO_MANY}")
    statements, problems = split_cells(notebook)
    if len(statements) > MAX_STATEMENTS:
        raise TooLarge(notebook.path, f"has {len(statements):,} top-level statements; {_TOO_MANY}")
    if problems:
        first = problems[0]
        cell = int(first.split()[1])
        raise UnparsableCell(
            notebook.path,
            f"cannot convert: {first}",
            cell=cell,
            cell_id=notebook.cells[cell].id,
        )
    warnings: list[str] = [
        f"cell {st.cell}: {st.rewrite}"
        for st in statements
        if st.rewrite and (not st.dropped_magic or "review" in st.rewrite)
    ]
    renames = rebound_aliases(statements)
    statements = _rewritten(statements, renames)
    warnings += [  # once per renamed import; the statements reading it say so too
        f"cell {st.cell}: {renames[st.key][1]}"
        for st in statements
        if st.key in renames and is_import_statement(st)
    ]
    local = plan_local_code(notebook.path, statements)
    statements = _rewritten(statements, local.rewrites)
    warnings += [  # vendored modules need nothing from the user; these do
        f"local module {m.name} ({m.origin}) {m.action}: {m.detail}"
        for m in local.code.modules
        if m.action != VENDORED
    ]
    decisions = [
        RoleDecision(Role.EXPLORATION, _PATH_SETUP)
        if st.key in local.path_setup
        else RoleDecision(Role.EXPLORATION, _PATH_VALUE)
        if st.key in local.path_values
        else d
        for st, d in zip(statements, classify(notebook, statements, role_overrides), strict=True)
    ]
    decisions = _path_steps(statements, decisions)
    hoisted = _hoist_metrics(statements, decisions)
    shown_metrics = tuple(
        (node.targets[0].id, ast.unparse(node.value))
        for code, _, _ in hoisted.values()
        for node in ast.parse(code).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    )
    if hoisted:
        statements = _rewritten(
            statements, {k: (code, note) for k, (code, note, _) in hoisted.items()}
        )
        decisions = [
            hoisted[st.key][2] if st.key in hoisted else d
            for st, d in zip(statements, decisions, strict=True)
        ]
    kept = _keep_needed(statements, decisions, local.path_setup)
    requirements = tuple(s.requirement for s in statements if s.requirement)
    for st in statements:
        if any(isinstance(n, ast.Await) for n in ast.walk(st.tree)) and not any(
            isinstance(n, (ast.AsyncFunctionDef,)) for n in ast.walk(st.tree)
        ):
            raise UnsupportedCode(
                notebook.path,
                f"cannot convert: cell {st.cell} uses top-level await, which "
                "a plain function cannot run",
                cell=st.cell,
                cell_id=st.cell_id,
            )
    for st, d, keep in zip(statements, decisions, kept, strict=False):
        # `from m import *` inside a loop or `if` is fine at module level, a SyntaxError in a function
        if (
            keep
            and d.role is not Role.IMPORT
            and any(
                isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names)
                for n in ast.walk(st.tree)
            )
        ):
            raise UnsupportedCode(
                notebook.path,
                f"cannot convert: cell {st.cell} has a star import inside a block, "
                "which Python allows only at module level (import the names it uses)",
                cell=st.cell,
                cell_id=st.cell_id,
            )

    imports = tuple(
        st for st, d in zip(statements, decisions, strict=False) if d.role is Role.IMPORT
    )
    config: list[ConfigField] = []
    config_names: set[str] = set()
    fields_seen: set[str] = set()
    for st, d, keep in zip(statements, decisions, kept, strict=False):
        if d.role is Role.CONFIG and keep:
            literal = config_literal(st.tree)
            if literal is None:
                continue
            name, value_node = literal
            field_name = config_field_name(name, fields_seen)
            value = ast.unparse(value_node)
            type_name = _type_name(value_node)
            is_path = (
                isinstance(value_node, ast.Constant)
                and isinstance(value_node.value, str)
                and _looks_like_path(name, value_node.value)
            )
            if name in config_names:
                # redefined literal: later assignments stay in code, the first is the parameter
                continue
            config_names.add(name)
            config.append(
                ConfigField(name, field_name, value, type_name, is_path, st.cell, st.position)
            )

    # definitions (def/class) move unchanged to their role's module, unless the name is bound
    # again elsewhere: then module level would see only the last one, so it stays in the flow
    bindings: dict[str, int] = {}
    for st, keep in zip(statements, kept, strict=False):
        if keep:
            for ref in st.symbols.defines:
                bindings[ref.name] = bindings.get(ref.name, 0) + 1
    definitions: list[Definition] = []
    definition_names: set[str] = set()
    body_statements: list[tuple[Statement, RoleDecision]] = []
    for st, d, keep in zip(statements, decisions, kept, strict=False):
        if not keep or d.role in (Role.IMPORT,):
            continue
        if (
            d.role is Role.CONFIG
            and config_assignment(st.tree) in config_names
            and _first_config(st, config)
        ):
            continue
        body = st.tree.body
        defined = [
            n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ]
        if (
            body
            and len(defined) == len(body)
            and all(bindings.get(n.name, 0) == 1 for n in defined)
        ):
            role = d.role if d.role in MODULE_OF_ROLE else Role.FEATURES
            names = [n.name for n in defined]
            definition_names.update(names)
            global_reads = tuple(
                r.name
                for r in st.symbols.deferred_uses + st.symbols.uses
                if not is_known_name(r.name)
            )
            definitions.append(Definition(names[0], MODULE_OF_ROLE[role], st, global_reads))
            continue
        role = d.role if d.role in MODULE_OF_ROLE else Role.FEATURES
        body_statements.append((st, RoleDecision(role, d.reason)))

    relocated = _relocate_paths(
        notebook.path,
        [st for st, keep in zip(statements, kept, strict=True) if keep],
        [st for st, _ in body_statements],
        config,
    )
    if relocated.rewrites:
        statements = _rewritten(statements, relocated.rewrites)
        now = {st.key: st for st in statements}
        body_statements = [(now[st.key], d) for st, d in body_statements]
    config = list(relocated.config)
    if relocated.base_dir != ".":
        warnings.append(
            f"relative paths start from the project root ({relocated.base_dir} from the "
            "notebook's folder): run the package there, or pass --base-dir"
        )

    import_names = {r.name for st in imports for r in st.symbols.defines}
    explicit = _explicit_inputs(
        definitions, [st for st, _ in body_statements], config, import_names, definition_names
    )
    warnings += explicit.warnings
    if explicit.rewrites:
        statements = _rewritten(statements, explicit.rewrites)
        now = {st.key: st for st in statements}
        body_statements = [(now[st.key], d) for st, d in body_statements]
        passed = {n for e in explicit.inputs for n in (*e.config_reads, *e.values)}
        definitions = [
            replace(
                d,
                statement=now[d.statement.key],
                global_reads=tuple(n for n in d.global_reads if n not in passed),
            )
            for d in definitions
        ]
    passes = {e.name: e.values for e in explicit.inputs}

    heading_of = headings(notebook)
    groups, group_roles = _group(body_statements, heading_of)

    functions = _functions(
        groups,
        group_roles,
        heading_of,
        config_names,
        import_names,
        definition_names,
        definitions,
        warnings,
        passes,
    )
    functions = [
        replace(
            f,
            paths=any(st.key in relocated.rewrites for st in f.statements),
            passes_config=any(st.key in explicit.config_callers for st in f.statements),
        )
        for f in functions
    ]
    definitions = _place_definitions(definitions, functions)
    for definition in definitions:
        early = [r.name for r in definition.statement.symbols.uses if r.name in config_names]
        if early:
            warnings.append(
                f"{definition.name}() reads {', '.join(dict.fromkeys(early))} when it is defined (default "
                "arguments or decorators): command-line overrides of those fields do not reach it"
            )
    # definitions read globals: the pipeline sets them; warn when none of ours produces them
    produced = (
        {n for f in functions for n in f.returns} | config_names | import_names | definition_names
    )
    for definition in definitions:
        missing = [n for n in definition.global_reads if n not in produced and n != definition.name]
        if missing:
            warnings.append(
                f"{definition.name}() reads {', '.join(missing)}, which no kept code produces"
            )

    results = functions[-1].returns if functions else ()
    placed: dict[str, str] = {}
    for f in functions:
        for st in f.statements:
            placed[st.key] = f.name
    for definition in definitions:
        placed[definition.statement.key] = definition.name
    planned = tuple(
        PlannedStatement(
            st,
            d.role,
            d.reason,
            keep,
            placed.get(st.key) or ("config.py" if d.role is Role.CONFIG and keep else None),
        )
        for st, d, keep in zip(statements, decisions, kept, strict=False)
    )
    return Plan(
        notebook.path,
        package_name(
            notebook.path,
            package,
            {i.module.split(".")[0] for st in imports for i in st.symbols.imports if not i.level},
        ),
        imports,
        tuple(config),
        tuple(definitions),
        tuple(functions),
        planned,
        tuple(results),
        requirements,
        tuple(warnings),
        local.code,
        relocated.base_dir,
        relocated.project_files,
        explicit.inputs,
        _display_values(imports, [st for f in functions for st in f.statements]),
        shown_metrics,
    )


_MODULE_RANK = {module: rank for rank, module in enumerate(MODULE_OF_ROLE.values())}


def _place_definitions(
    definitions: Sequence[Definition], functions: Sequence[Function]
) -> list[Definition]:
    """Move each definition to the earliest module (data, features, model, business) that uses it.

    A definition's heading can come after a cell that uses it (a plotting helper under "Model"
    called by a features cell): left in its role's module, features would import model and
    model features, a circular import. With every definition no later than its users, modules
    import only earlier ones, so the package has no cycle. Repeated until nothing moves, as a
    definition moved earlier pulls the definitions it reads along with it.
    """
    index_of = {
        node.name: i
        for i, d in enumerate(definitions)
        for node in d.statement.tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    users: list[set[str]] = [set() for _ in definitions]  # modules of the functions calling it
    for f in functions:
        for name in f.definitions_used:
            if name in index_of:
                users[index_of[name]].add(f.module)
    readers: list[set[int]] = [set() for _ in definitions]  # definitions reading it
    for j, d in enumerate(definitions):
        for name in d.global_reads:
            if name in index_of and index_of[name] != j:
                readers[index_of[name]].add(j)
    placed = list(definitions)
    moved = True
    while moved:  # a module only moves earlier, so this ends
        moved = False
        for i, d in enumerate(placed):
            modules = users[i] | {placed[j].module for j in readers[i]} | {d.module}
            module = min(modules, key=_MODULE_RANK.__getitem__)
            if module != d.module:
                placed[i] = replace(d, module=module)
                moved = True
    return placed


# a cell whose statements have several roles goes to the module of the one listed first
_CELL_ROLE_ORDER = (Role.MODEL, Role.BUSINESS, Role.DATA, Role.FEATURES)


def _group(
    body: Sequence[tuple[Statement, RoleDecision]], heading_of: Mapping[int, str]
) -> tuple[list[list[Statement]], list[Role]]:
    """Consecutive statements with one role under one heading form a function; so do the
    statements of one cell, whatever their roles (a cell is one step: split by role it gave
    functions named `..._2`, `..._3` that pass everything to each other)."""
    groups: list[list[Statement]] = []
    roles: list[list[Role]] = []
    for st, d in body:
        same_heading = bool(groups) and heading_of.get(groups[-1][-1].cell) == heading_of.get(
            st.cell
        )
        if same_heading and d.role in roles[-1] and len(set(roles[-1])) == 1:
            groups[-1].append(st)
            roles[-1].append(d.role)
        elif same_heading and groups[-1][-1].cell == st.cell:
            # another role within the cell: the cell's statements become a function of their own
            at = next(i for i, s in enumerate(groups[-1]) if s.cell == st.cell)
            if at:
                groups.append(groups[-1][at:])
                roles.append(roles[-1][at:])
                del groups[-2][at:], roles[-2][at:]
            groups[-1].append(st)
            roles[-1].append(d.role)
        else:
            groups.append([st])
            roles.append([d.role])
    return groups, [next(r for r in _CELL_ROLE_ORDER if r in rs) for rs in roles]


def _rewritten(
    statements: Sequence[Statement], rewrites: Mapping[str, tuple[str, str]]
) -> tuple[Statement, ...]:
    """The statements with some code replaced (key -> (code, note)), analysed again in place."""
    if not rewrites:
        return tuple(statements)
    modules: dict[str, str] = {}  # what earlier statements imported, as split_cells tracks it
    out: list[Statement] = []
    for st in statements:
        change = rewrites.get(st.key)
        if change is not None:
            code, note = change
            tree = ast.parse(code)
            st = replace(
                st,
                code=code,
                tree=tree,
                symbols=analyze_tree(tree, modules),
                rewrite=f"{st.rewrite}; {note}" if st.rewrite else note,
            )
        carry_modules(modules, st.symbols)
        out.append(st)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Relocation:
    """The notebook's relative paths, re-expressed from its project root (`_relocate_paths`)."""

    rewrites: Mapping[str, tuple[str, str]]  # statement key -> (code, note)
    config: tuple[ConfigField, ...]  # path fields marked, their defaults from the root
    base_dir: str = "."
    project_files: tuple[str, ...] = ()


def _relocate_paths(
    notebook_path: str,
    kept: Sequence[Statement],
    body: Sequence[Statement],
    config: Sequence[ConfigField],
) -> _Relocation:
    """Make the relative paths of file operations start from the project root, via `config.path`.

    The notebook ran in its own folder; the package runs wherever it is started, from
    `base_dir`. So each relative path a file operation takes (a string, the literal start of
    a join, an f-string or a concatenation, a string bound to a name such calls read) becomes
    `config.path("<the same file, from the root>")`, and a path field's default is re-expressed
    the same way. The root is the folder those paths need (`project_root.find_project`: its
    span); a notebook whose paths stay in its folder keeps them as written. Nothing moves when
    the notebook changes directory or binds `config` itself (it would shadow the parameter).
    Definitions moved to module level have no `config`: their paths stay as written.
    """
    unchanged = _Relocation({}, tuple(config))
    if any(_changes_directory(st) or _binds_config(st) for st in kept):
        return unchanged
    folder = Path(os.path.abspath(notebook_path)).parent.resolve()
    names = path_names(st.tree for st in kept)
    sites = {st.key: path_sites(st.tree, st.code, names, folder) for st in body}
    fields = [
        replace(c, is_path=True)
        if not c.is_path and c.name in names and looks_like_path(_string(c.value), folder)
        else c
        for c in config
    ]
    values = {c.name: _string(c.value) for c in fields if c.is_path}
    located = [PathSite(v, True, 0, 0) for v in values.values() if is_relative(v)]
    texts = [path_dir(site) for found in sites.values() for site in found]
    base = find_project(folder, [*texts, *(path_dir(site) for site in located)]).span
    rewrites: dict[str, tuple[str, str]] = {}
    files: set[str] = set()
    for st in body:
        code = st.code
        for site in sorted(sites[st.key], key=lambda site: site.start, reverse=True):
            new = rebase(site, folder, base)
            text = None if new is None else _config_path(site, new, code)
            if text is None:
                continue
            code = code[: site.start] + text + code[site.end :]
            if site.whole and new is not None and (base / new).is_file():
                files.add(new)
        if code != st.code:
            rewrites[st.key] = (code, _RELOCATED)
    moved: list[ConfigField] = []
    for c in fields:
        if c.is_path and c.name in values and is_relative(values[c.name]):
            new = rebase(PathSite(values[c.name], True, 0, 0), folder, base)
            if new is not None:
                c = replace(c, value=repr(new))
                if (base / new).is_file():
                    files.add(new)
        moved.append(c)
    base_dir = Path(os.path.relpath(base, folder)).as_posix()
    return _Relocation(rewrites, tuple(moved), base_dir, tuple(sorted(files)))


def _config_path(site: PathSite, new: str, code: str) -> str | None:
    """The code that replaces a site: `config.path("...")`, around the f-string or the chain."""
    if site.lead is None:
        text = f"config.path({_quoted(new)})"
        return f"{site.callee}({text})" if site.callee else text
    if any(c in new for c in "'\"\\{}"):  # would need escaping inside the f-string's quotes
        return None
    start, end = site.lead
    return f"config.path({code[site.start : start]}{new}{code[end : site.end]})"


def _quoted(text: str) -> str:
    """A string literal in double quotes, as black writes it (repr's quotes otherwise)."""
    return f'"{text}"' if text.isprintable() and not any(c in text for c in '"\\') else repr(text)


def _string(value: str) -> str:
    """The string a config field's literal source holds ("" when it is not a string)."""
    try:
        literal = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return ""
    return literal if isinstance(literal, str) else ""


def _binds_config(st: Statement) -> bool:
    """Whether the statement binds the name `config` anywhere (a parameter of an inner function
    too): `config.path(...)` there would read the notebook's value, not the package's Config."""
    for node in ast.walk(st.tree):
        if (
            (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == "config")
            or (isinstance(node, ast.arg) and node.arg == "config")
            or (isinstance(node, ast.alias) and (node.asname or node.name) == "config")
            or (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and node.name == "config"
            )
        ):
            return True
    return "config" in _defines(st)


def _changes_directory(st: Statement) -> bool:
    """`os.chdir(...)` (and `%cd`, which becomes it): relative paths after it mean another folder."""
    return any(call.name.rpartition(".")[2] == "chdir" for call in st.symbols.calls)


def _first_config(st: Statement, config: Sequence[ConfigField]) -> bool:
    name = config_assignment(st.tree)
    return any(c.name == name and c.cell == st.cell and c.position == st.position for c in config)


def _looks_like_path(name: str, value: str) -> bool:
    """A string parameter that names a file or folder: by its name and by how it reads."""
    if not _PATHLIKE.search(name) or value.startswith(("http://", "https://", "s3://", "gs://")):
        return False
    return (
        "/" in value
        or "\\" in value
        or bool(re.search(r"\.[A-Za-z0-9]{1,5}$", value))
        or value in (".", "..")
    )


def _keep_needed(
    statements: Sequence[Statement],
    decisions: Sequence[RoleDecision],
    dropped: frozenset[str] = frozenset(),
) -> list[bool]:
    """Exploration is dropped unless later kept code reads what it defines (reverse liveness);
    `dropped` statements (keys) are never kept."""
    kept = [
        d.role is not Role.EXPLORATION and st.key not in dropped
        for st, d in zip(statements, decisions, strict=True)
    ]
    live: set[str] = set()
    for index in range(len(statements) - 1, -1, -1):
        st = statements[index]
        if st.key in dropped:
            continue
        # a drawing call binds nothing but changes the figure that kept code may read back
        defines = set(_defines(st)) | decisions[index].figures_changed
        if not kept[index]:
            if st.dropped_magic or not (defines & live):
                continue
            kept[index] = True
        live -= {r.name for r in st.symbols.defines}
        live |= set(_uses(st))
    return kept


def _type_name(node: ast.AST) -> str:
    if isinstance(node, ast.UnaryOp):
        return _type_name(node.operand)
    if isinstance(node, ast.Constant):
        return type(node.value).__name__
    if isinstance(node, ast.List):
        return "list"
    if isinstance(node, ast.Tuple):
        return "tuple"
    if isinstance(node, ast.Dict):
        return "dict"
    if isinstance(node, ast.Set):
        return "set"
    return "object"


def _functions(
    groups: list[list[Statement]],
    roles: list[Role],
    heading_of: Mapping[int, str],
    config_names: set[str],
    import_names: set[str],
    definition_names: set[str],
    definitions: Sequence[Definition],
    warnings: list[str],
    passes: Mapping[str, Sequence[str]] | None = None,
) -> list[Function]:
    """Signatures: parameters are names earlier groups produced; returns are what later code reads."""
    producer: dict[str, int] = {}  # name -> index of the last group defining it
    params_of: list[list[str]] = []
    defines_of: list[list[str]] = []
    config_of: list[list[str]] = []
    defs_of: list[list[str]] = []
    for index, group in enumerate(groups):
        bound: set[str] = set()
        params: list[str] = []
        configs: list[str] = []
        defs_used: list[str] = []
        defines: list[str] = []
        for st in group:
            uses = _uses(st)
            # calling one of the notebook's functions reads the values it is passed
            for name in list(uses):
                uses += [v for v in (passes or {}).get(name, ()) if v not in uses]
            for name in uses:
                if name in bound or name in params:
                    continue
                if name in producer:
                    params.append(name)
                elif name in config_names:
                    if name not in configs:
                        configs.append(name)
                elif name in definition_names and name not in defs_used:
                    defs_used.append(name)
            rebinds = {r.name for r in st.symbols.defines}
            for name in _defines(st):
                if name in import_names and name not in rebinds:
                    continue  # `np.add(a, b)` or `pd.options.x = 1`: module state, not a value to pass on
                bound.add(name)
                if name not in defines:
                    defines.append(name)
        params_of.append(params)
        defines_of.append(defines)
        config_of.append(configs)
        defs_of.append(defs_used)
        for name in defines:
            producer[name] = index
    # definitions' global reads count as later uses of whatever produced them
    definition_reads = {n for d in definitions for n in d.global_reads}
    functions: list[Function] = []
    taken: set[str] = set(definition_names) | import_names | config_names
    for index, group in enumerate(groups):
        later_uses: set[str] = set()
        for later in params_of[index + 1 :]:
            later_uses |= set(later)
        is_last = index == len(groups) - 1
        scaffolding = _scaffolding(group) if is_last else set()
        returns = [
            n
            for n in defines_of[index]
            if (n in later_uses and _last_producer_before(n, index, defines_of, params_of))
            or n in definition_reads
            or (is_last and not n.startswith("_") and n not in scaffolding)
        ]
        # a value assigned and never read again is a result, not something to throw away;
        # so is a fitted model
        for name in _unread_assignments(group) + _fitted(group):
            if name not in returns and name in defines_of[index]:
                returns.append(name)
        name = function_name(group, roles[index], heading_of, returns or defines_of[index], taken)
        taken.add(name)
        functions.append(
            Function(
                name,
                roles[index],
                MODULE_OF_ROLE[roles[index]],
                tuple(params_of[index]),
                tuple(returns),
                tuple(config_of[index]),
                tuple(group),
                heading_of.get(group[0].cell, ""),
                tuple(defs_of[index]),
            )
        )
    return functions


def _scaffolding(group: Sequence[Statement]) -> set[str]:
    """Names bound only as a `for` loop variable or a `with ... as` target: not results of the run.

    (A file handle from `with open(...) as f` is closed by then; a loop variable holds the last item.)
    """
    scaffold: set[str] = set()
    other: set[str] = set()
    for st in group:
        for node in ast.walk(st.tree):
            if isinstance(node, (ast.For, ast.AsyncFor)):
                targets = [node.target]
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                targets = [
                    item.optional_vars for item in node.items if item.optional_vars is not None
                ]
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    other |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
                continue
            else:
                continue
            for target in targets:
                scaffold |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return scaffold - other


def _unread_assignments(group: Sequence[Statement]) -> list[str]:
    """Names the group assigns and never reads (they would be unused locals): results."""
    read: set[str] = set()
    assigned: list[str] = []
    for st in group:
        for node in ast.walk(st.tree):
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    read.add(node.id)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for inner in ast.walk(target):
                        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                            assigned.append(inner.id)
    defined_here = {r.name for st in group for r in st.symbols.defines}
    return [n for n in dict.fromkeys(assigned) if n not in read and n in defined_here]


def _fitted(group: Sequence[Statement]) -> list[str]:
    """Names whose `.fit(...)` the group calls: the trained models."""
    names = []
    for st in group:
        for call in st.symbols.calls:
            head, _, method = call.name.rpartition(".")
            if method in ("fit", "fit_transform", "fit_predict") and head and "." not in head:
                names.append(head)
    return list(dict.fromkeys(names))


def _last_producer_before(
    name: str, index: int, defines_of: list[list[str]], params_of: list[list[str]]
) -> bool:
    """Whether some later group reads `name` while this group is its latest producer."""
    for later in range(index + 1, len(defines_of)):
        if name in params_of[later]:
            return True
        if name in defines_of[later]:
            return False
    return False


# -- what the notebook's functions read as globals, passed explicitly at each call

_PARTIAL = "functools.partial"  # a function passed as a value keeps its inputs bound


@dataclass(frozen=True, slots=True)
class ExplicitInputs:
    """A function the notebook defines that now receives, at every call, what it read as a
    global: the run's `Config` (for the fields it reads) and values the pipeline computes."""

    name: str
    config: str | None  # its parameter holding the run's Config (None: it reads no field)
    config_reads: tuple[str, ...]  # notebook names of the fields it binds from that parameter
    values: tuple[str, ...]  # keyword-only parameters: values computed by the pipeline


@dataclass(frozen=True, slots=True)
class _Explicit:
    rewrites: Mapping[str, tuple[str, str]]  # statement key -> (code, note)
    inputs: tuple[ExplicitInputs, ...]
    config_callers: frozenset[str]  # keys of body statements that pass `config` on
    warnings: tuple[str, ...]


_EXPLICIT = "config and computed values passed at call time, not read as module globals"


def _explicit_inputs(
    definitions: Sequence[Definition],
    body: Sequence[Statement],
    config: Sequence[ConfigField],
    import_names: set[str],
    definition_names: set[str],
) -> _Explicit:
    """Make the notebook's functions take what they read as globals, and their callers pass it.

    A module global set by the pipeline (`business.PD_THRESHOLD = ...`) is hidden state, and a
    default argument (`pd_threshold=PD_THRESHOLD`) is bound once, at import: a command-line
    option would never reach it. So a function reading config fields gets a keyword-only
    `config` parameter and binds the notebook's names from it on entry; one reading values the
    pipeline computes gets them as keyword-only parameters; such a default becomes `None`,
    resolved on entry. Every call passes them (`decide(df, p, config=config)`), through the
    notebook's own functions too, and a function used as a value is `functools.partial(...)`.
    """
    fields = {c.name: c for c in config}
    bound_by_body = {r.name for st in body for r in st.symbols.defines}
    config_reads: dict[str, list[str]] = {}
    values: dict[str, list[str]] = {}
    refs: dict[str, list[str]] = {}
    warnings: list[str] = []
    for d in definitions:
        for node in d.statement.tree.body:
            symbols = analyze_tree(ast.Module(body=[node], type_ignores=[]))
            reads = dict.fromkeys(
                r.name
                for r in symbols.uses + symbols.deferred_uses
                if not is_known_name(r.name) and r.name != getattr(node, "name", "")
            )
            cfg = [n for n in reads if n in fields and n not in bound_by_body]
            vals = [
                n
                for n in reads
                if n in bound_by_body and n not in import_names and n not in definition_names
            ]
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if cfg or vals:
                    warnings.append(
                        f"{getattr(node, 'name', d.name)} reads {', '.join(cfg + vals)} as "
                        "module globals, which a class cannot be given at call time: pass them "
                        "explicitly (the package uses the notebook's values)"
                    )
                continue
            config_reads[node.name] = cfg
            values[node.name] = vals
            refs[node.name] = [n for n in reads if n in definition_names]
    takes_config = {n for n, cfg in config_reads.items() if cfg}
    changed = True
    while changed:  # through the notebook's functions calling each other
        changed = False
        for name, called in refs.items():
            for other in called:
                if other in takes_config and name not in takes_config:
                    takes_config.add(name)
                    changed = True
                for v in values.get(other, []):
                    if v not in values[name]:
                        values[name].append(v)
                        changed = True
    inputs = {
        name: ExplicitInputs(
            name,
            _free_name("config", d_names) if name in takes_config else None,
            tuple(config_reads[name]),
            tuple(values[name]),
        )
        for name, d_names in _names_of_definitions(definitions).items()
        if name in config_reads and (name in takes_config or values[name])
    }
    rewrites: dict[str, tuple[str, str]] = {}
    callers: set[str] = set()
    if inputs:
        for d in definitions:
            code = _rewrite_definition(d.statement.code, inputs, fields)
            if code != d.statement.code:
                rewrites[d.statement.key] = (code, _EXPLICIT)
        for st in body:
            code, passes_config = _pass_inputs(st.code, inputs, "config")
            if code != st.code:
                rewrites[st.key] = (code, _EXPLICIT)
                if passes_config:
                    callers.add(st.key)
                    if _binds_config(st):
                        warnings.append(
                            f"cell {st.cell}: binds the name `config`, which the package uses "
                            "for the run's Config: rename it"
                        )
    return _Explicit(rewrites, tuple(inputs.values()), frozenset(callers), tuple(warnings))


def _names_of_definitions(definitions: Sequence[Definition]) -> dict[str, set[str]]:
    """Each function the notebook defines at top level -> every name its code mentions."""
    out: dict[str, set[str]] = {}
    for d in definitions:
        for node in d.statement.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names: set[str] = set()
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Name):
                        names.add(inner.id)
                    elif isinstance(inner, ast.arg):
                        names.add(inner.arg)
                    elif isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        names.add(inner.name)
                out[node.name] = names
    return out


def _free_name(base: str, taken: set[str]) -> str:
    for candidate in (base, f"run_{base}", f"{base}_"):
        if candidate not in taken:
            return candidate
    return f"nb2prod_{base}"


def _keywords(inputs: ExplicitInputs, config_var: str) -> list[tuple[str, str]]:
    """(parameter, argument) pairs a call passes on."""
    pairs = [(inputs.config, config_var)] if inputs.config else []
    return pairs + [(v, v) for v in inputs.values]


def _global_accesses(module: cst.MetadataWrapper, names: Collection[str]) -> set[cst.Name]:
    """Name nodes reading one of `names` at module level (not a local of some function)."""
    scopes = module.resolve(ScopeProvider)
    found: set[cst.Name] = set()
    for scope in {s for s in scopes.values() if s is not None}:
        for name in names:
            for access in scope.accesses[name]:
                if isinstance(access.node, cst.Name) and all(
                    isinstance(a.scope, GlobalScope) for a in access.referents
                ):
                    found.add(access.node)
    return found


class _PassInputs(cst.CSTTransformer):
    """Calls of the functions in `inputs` pass them on; other reads become partials."""

    def __init__(
        self,
        inputs: Mapping[str, ExplicitInputs],
        targets: set[cst.Name],
        config_var: Callable[[], str],
    ) -> None:
        super().__init__()
        self.inputs = inputs
        self.targets = targets
        self.config_var = config_var
        self.callees: set[cst.Name] = set()
        self.passes_config = False

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func in self.targets:
            self.callees.add(node.func)

    def _pairs(self, name: str) -> list[tuple[str, str]]:
        inputs = self.inputs[name]
        if inputs.config:
            self.passes_config = True
        return _keywords(inputs, self.config_var())

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = original_node.func
        if not (isinstance(func, cst.Name) and func in self.targets):
            return updated_node
        given = {a.keyword.value for a in updated_node.args if a.keyword is not None}
        extra = [
            cst.Arg(
                value=cst.parse_expression(value),
                keyword=cst.Name(key),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
            )
            for key, value in self._pairs(func.value)
            if key not in given
        ]
        return updated_node.with_changes(args=[*updated_node.args, *extra])

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if original_node not in self.targets or original_node in self.callees:
            return updated_node
        pairs = self._pairs(original_node.value)
        keywords = ", ".join(f"{k}={v}" for k, v in pairs)
        return cst.parse_expression(f"{_PARTIAL}({original_node.value}, {keywords})")


def _pass_inputs(
    code: str, inputs: Mapping[str, ExplicitInputs], config_var: str
) -> tuple[str, bool]:
    """`code` with its calls of the functions in `inputs` passing them on."""
    if not any(name in code for name in inputs):
        return code, False
    wrapper = cst.MetadataWrapper(cst.parse_module(code))
    targets = _global_accesses(wrapper, inputs)
    if not targets:
        return code, False
    transformer = _PassInputs(inputs, targets, lambda: config_var)
    return wrapper.module.visit(transformer).code, transformer.passes_config


def _rewrite_definition(
    code: str, inputs: Mapping[str, ExplicitInputs], fields: Mapping[str, ConfigField]
) -> str:
    """The definitions of a statement taking their inputs, and passing them on in their calls."""
    wrapper = cst.MetadataWrapper(cst.parse_module(code))
    targets = _global_accesses(wrapper, inputs)
    module = wrapper.module
    current: list[str] = ["config"]  # the config parameter of the function being rewritten
    passing = _PassInputs(inputs, targets, lambda: current[0])
    body: list[cst.CSTNode] = []
    for node in module.body:
        if isinstance(node, cst.FunctionDef) and node.name.value in inputs:
            own = inputs[node.name.value]
            current[0] = own.config or "config"
            visited = node.visit(passing)
            assert isinstance(visited, cst.FunctionDef)
            body.append(_take_inputs(visited, own, fields))
        elif targets:
            passed = node.visit(passing)
            assert isinstance(passed, cst.CSTNode)
            body.append(passed)
        else:
            body.append(node)
    return module.with_changes(body=body).code


def _take_inputs(
    node: cst.FunctionDef, inputs: ExplicitInputs, fields: Mapping[str, ConfigField]
) -> cst.FunctionDef:
    """The function with keyword-only parameters for its inputs, bound on entry."""
    needed = set(inputs.config_reads) | set(inputs.values)
    resolve: list[str] = []

    def sentinel(param: cst.Param) -> cst.Param:
        if param.default is None:
            return param
        text = cst.Module(body=[]).code_for_node(param.default)
        reads = {
            n.id for n in ast.walk(ast.parse(text.strip(), mode="eval")) if isinstance(n, ast.Name)
        }
        if not reads & needed:
            return param
        # bound at import in the notebook's code: resolved at call time instead
        resolve.append(f"if {param.name.value} is None:\n    {param.name.value} = {text.strip()}\n")
        return param.with_changes(default=cst.Name("None"))

    params = node.params
    params = params.with_changes(
        posonly_params=[sentinel(p) for p in params.posonly_params],
        params=[sentinel(p) for p in params.params],
        kwonly_params=[sentinel(p) for p in params.kwonly_params],
    )
    added = (
        [
            cst.Param(
                name=cst.Name(inputs.config),
                annotation=cst.Annotation(cst.Name("Config")),
            )
        ]
        if inputs.config
        else []
    )
    added += [cst.Param(name=cst.Name(v)) for v in inputs.values]
    star = params.star_arg
    if isinstance(star, cst.MaybeSentinel):
        star = cst.ParamStar()
    params = params.with_changes(star_arg=star, kwonly_params=[*params.kwonly_params, *added])
    prelude = [
        f"{name} = {inputs.config}.path({inputs.config}.{fields[name].field})\n"
        if fields[name].is_path
        else f"{name} = {inputs.config}.{fields[name].field}\n"
        for name in inputs.config_reads
    ] + resolve
    statements: list[cst.BaseStatement] = [cst.parse_statement(text) for text in prelude]
    block = node.body
    if isinstance(block, cst.SimpleStatementSuite):
        block = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=block.body)])
    assert isinstance(block, cst.IndentedBlock)
    existing = list(block.body)
    at = 1 if existing and _is_docstring(existing[0]) else 0
    block = block.with_changes(body=[*existing[:at], *statements, *existing[at:]])
    return node.with_changes(params=params, body=block)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


# -- values that are not results

# sklearn's `ConfusionMatrixDisplay.from_estimator(...)`, `RocCurveDisplay(...)`, and the like
_DISPLAY_CLASS = re.compile(r"\.\w+Display(\.from_\w+)?$")


def _display_values(
    imports: Sequence[Statement], statements: Sequence[Statement]
) -> tuple[str, ...]:
    """Names whose last binding is a figure, axes or display object (`fig, ax = plt.subplots()`,
    `ax = df.plot()`, `disp = ConfusionMatrixDisplay.from_predictions(...)`), or whose methods
    only figures have are called (`ax.set_title(...)`)."""
    apis = figure_apis()
    aliases: dict[str, str] = {}
    for st in imports:
        bind_imports(aliases, st.symbols.imports)
    shown: dict[str, bool] = {}
    for st in statements:
        for node in ast.walk(st.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = root_name(node.func.value)
                if node.func.attr in apis.figure_methods and receiver and receiver not in aliases:
                    shown[receiver] = True
            if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            figure = _makes_display(node.value, aliases, apis.factories, apis.plot_methods)
            for name in names:
                shown[name] = figure
    return tuple(n for n, figure in shown.items() if figure)


def _makes_display(
    value: ast.expr,
    aliases: dict[str, str],
    factories: frozenset[str],
    plot_methods: frozenset[str],
) -> bool:
    if not isinstance(value, ast.Call):
        return False
    dotted = dotted_name(value.func)
    qualified = qualify(aliases, dotted) if dotted is not None else None
    if qualified is not None:
        return qualified in factories or bool(_DISPLAY_CLASS.search("." + qualified))
    func = value.func
    return isinstance(func, ast.Attribute) and (
        func.attr in plot_methods
        or (isinstance(func.value, ast.Attribute) and func.value.attr == "plot")
    )


# -- path computations

_PATH_FUNCTIONS = re.compile(
    r"^(os\.path\.(join|abspath|expanduser|expandvars|dirname|normpath|realpath|relpath)|"
    r"os\.getcwd|pathlib\.(Pure)?(Posix|Windows)?Path(\.home|\.cwd)?)$"
)
_PATH_METHODS = frozenset(
    {"joinpath", "with_suffix", "with_name", "with_stem", "resolve", "absolute", "expanduser"}
)
_PATH_STEP = "computes a path: it goes with the data it locates"
_OVERRIDES = ("cell tag ", "comment '# nb2prod:", "[tool.nb2prod.roles]")


def _path_steps(
    statements: Sequence[Statement], decisions: Sequence[RoleDecision]
) -> list[RoleDecision]:
    """Statements that only compute a path (`DATA_PATH = os.path.join(DATA_DIR, "a.csv")`,
    `OUT = Path(ROOT) / "out"`) are data steps, not feature engineering (unless overridden)."""
    aliases: dict[str, str] = {}
    paths: set[str] = set()
    out: list[RoleDecision] = []
    for st, d in zip(statements, decisions, strict=True):
        bind_imports(aliases, st.symbols.imports)
        body = st.tree.body
        if (
            len(body) == 1
            and isinstance(body[0], (ast.Assign, ast.AnnAssign))
            and body[0].value is not None
            and _is_path(body[0].value, aliases, paths)
        ):
            targets = body[0].targets if isinstance(body[0], ast.Assign) else [body[0].target]
            paths |= {t.id for t in targets if isinstance(t, ast.Name)}
            if d.role is Role.FEATURES and not d.reason.startswith(_OVERRIDES):
                d = RoleDecision(Role.DATA, _PATH_STEP)
        out.append(d)
    return out


def _is_path(node: ast.expr, aliases: dict[str, str], paths: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in paths
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _is_path(node.left, aliases, paths)
    if isinstance(node, ast.Attribute) and node.attr in ("parent", "parents"):
        return _is_path(node.value, aliases, paths)
    if isinstance(node, ast.Subscript):  # `Path(x).parents[1]`
        return isinstance(node.value, ast.Attribute) and _is_path(node.value, aliases, paths)
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in _PATH_METHODS:
        return _is_path(func.value, aliases, paths)
    dotted = dotted_name(func)
    qualified = qualify(aliases, dotted) if dotted is not None else None
    return qualified is not None and _PATH_FUNCTIONS.match(qualified) is not None


# -- metrics the notebook only showed

# statsmodels results: the figures `summary()` shows, read as attributes of a fitted result
_RESULT_FIGURES = frozenset(
    {"rsquared", "rsquared_adj", "aic", "bic", "llf", "fvalue", "f_pvalue", "mse_resid",
     "mse_model", "mse_total", "ssr", "ess", "condition_number", "prsquared"}
)  # fmt: skip
_HOISTED = "metric shown by the notebook: kept as a named result"


def _hoist_metrics(
    statements: Sequence[Statement], decisions: Sequence[RoleDecision]
) -> dict[str, tuple[str, str, RoleDecision]]:
    """Metrics a notebook computes only inside a display (`print(f"{accuracy_score(y, p)}")`,
    a bare `model.score(X, y)`): the package keeps each as a named value its function returns
    (`accuracy = accuracy_score(y, p)`), and leaves the display out.

    Returns statement key -> (new code, note, new decision).
    """
    aliases: dict[str, str] = {}
    fitted: set[str] = set()  # names bound from `....fit(...)`: statsmodels results among them
    taken = names_in(statements)
    out: dict[str, tuple[str, str, RoleDecision]] = {}
    for st, d in zip(statements, decisions, strict=True):
        bind_imports(aliases, st.symbols.imports)
        body = st.tree.body
        shown = d.role is Role.EXPLORATION or (
            d.role is Role.MODEL and all(isinstance(n, ast.Expr) for n in body)
        )
        if (
            shown
            and body
            and not st.dropped_magic
            and not d.reason.startswith(_OVERRIDES)
            and all(isinstance(n, ast.Expr) for n in body)
        ):
            metrics = [
                m
                for n in body
                if isinstance(n, ast.Expr)
                for m in _metrics(n.value, aliases, fitted)
            ]
            if metrics:
                lines = _leading_comments(st.code)
                for node in metrics:
                    name = _metric_name(node, st.cell, taken)
                    taken.add(name)
                    text = ast.get_source_segment(st.code, node) or ast.unparse(node)
                    lines.append(f"{name} = {text}")
                out[st.key] = (
                    "\n".join(lines) + "\n",
                    _HOISTED,
                    RoleDecision(Role.MODEL, _HOISTED),
                )
        for assign in ast.walk(st.tree):
            if isinstance(assign, ast.Assign) and isinstance(assign.value, ast.Call):
                func = assign.value.func
                if isinstance(func, ast.Attribute) and func.attr == "fit":
                    fitted |= {t.id for t in assign.targets if isinstance(t, ast.Name)}
    return out


def _metrics(node: ast.expr, aliases: dict[str, str], fitted: set[str]) -> list[ast.expr]:
    """The outermost metric expressions in a displayed expression, in order, that read only
    names of the notebook (none a comprehension or lambda binds)."""
    local = {
        n.id
        for inner in ast.walk(node)
        if isinstance(inner, (ast.comprehension, ast.Lambda))
        for n in ast.walk(inner.target if isinstance(inner, ast.comprehension) else inner.args)
        if isinstance(n, ast.Name)
    } | {
        a.arg
        for inner in ast.walk(node)
        if isinstance(inner, ast.Lambda)
        for a in (*inner.args.args, *inner.args.kwonlyargs, *inner.args.posonlyargs)
    }
    found: list[ast.expr] = []

    def visit(expr: ast.AST) -> None:
        if isinstance(expr, ast.expr) and _is_metric(expr, aliases, fitted):
            if not any(isinstance(n, ast.Name) and n.id in local for n in ast.walk(expr)):
                found.append(expr)
            return
        for child in ast.iter_child_nodes(expr):
            visit(child)

    visit(node)
    return found


def _is_metric(node: ast.expr, aliases: dict[str, str], fitted: set[str]) -> bool:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "score" and node.args:
            return True
        dotted = dotted_name(func)
        qualified = qualify(aliases, dotted) if dotted is not None else None
        return qualified is not None and qualified.startswith("sklearn.metrics.")
    return (
        isinstance(node, ast.Attribute)
        and node.attr in _RESULT_FIGURES
        and isinstance(node.value, ast.Name)
        and node.value.id in fitted
    )


def _metric_name(node: ast.expr, cell: int, taken: set[str]) -> str:
    """`accuracy` for `accuracy_score(...)`, `model_score` for `model.score(...)`,
    `results_rsquared` for `results.rsquared`; told apart by what it is computed on."""
    if isinstance(node, ast.Attribute):
        owner = node.value.id if isinstance(node.value, ast.Name) else "result"
        base = f"{owner}_{node.attr}"
    else:
        assert isinstance(node, ast.Call)
        func = node.func
        callee = func.attr if isinstance(func, ast.Attribute) else dotted_name(func) or "metric"
        callee = callee.rpartition(".")[2]
        if callee == "score" and isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            base = f"{owner}_score" if owner else "score"
        else:
            base = callee.removesuffix("_score") or callee
    base = re.sub(r"\W", "_", base).strip("_").lower() or "metric"
    # what it is computed on: the predictions (second argument), else the truth (first)
    on = [
        a.id.split("_", 1)[1] if a.id.lower().startswith(("y_", "x_")) else a.id
        for a in (node.args[1:2] + node.args[:1] if isinstance(node, ast.Call) else [])
        if isinstance(a, ast.Name)
    ]
    for candidate in (base, *(f"{base}_{o.lower()}" for o in on), f"{base}_cell{cell}"):
        if candidate and candidate not in taken and not is_known_name(candidate):
            return candidate
    n = 2
    while f"{base}_cell{cell}_{n}" in taken:
        n += 1
    return f"{base}_cell{cell}_{n}"


def _leading_comments(code: str) -> list[str]:
    lines = []
    for line in code.splitlines():
        if line.strip().startswith("#"):
            lines.append(line.strip())
        elif line.strip():
            break
    return lines
