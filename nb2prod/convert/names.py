"""Names in the generated package: of its functions, of its `Config` fields, and of module
aliases the notebook binds to different modules in different cells."""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import GlobalScope, MetadataWrapper, ScopeProvider

from nb2prod.analysis.embedded import names_in_call
from nb2prod.analysis.imports import bind_imports
from nb2prod.analysis.statements import Statement
from nb2prod.analysis.symbols import is_known_name
from nb2prod.core.vocabulary import Role

_VERBS = {
    Role.DATA: "load",
    Role.FEATURES: "build",
    Role.MODEL: "train",
    Role.BUSINESS: "apply",
}
_LEADING_VERBS = frozenset(
    {
        "load",
        "read",
        "build",
        "compute",
        "train",
        "fit",
        "evaluate",
        "predict",
        "score",
        "decide",
        "apply",
        "prepare",
        "clean",
        "make",
        "create",
        "split",
        "transform",
        "engineer",
        "get",
        "run",
        "calculate",
        "estimate",
        "select",
        "tune",
        "validate",
        "test",
        "generate",
        "preprocess",
        "encode",
    }
)


def _slug(text: str) -> str:
    words = re.findall(r"[a-zA-Z][a-zA-Z0-9]*", text.lower())
    return "_".join(words[:5])


def config_field_name(name: str, seen: set[str]) -> str:
    """The `Config` attribute (and CLI option) for the notebook's parameter `name`, unique in `seen`."""
    base = re.sub(r"_+", "_", name.lower()).strip("_") or "value"
    if keyword.iskeyword(base) or base in ("base_dir", "path", "from_args"):
        base += "_"
    candidate, n = base, 2
    while candidate in seen:
        candidate, n = f"{base}_{n}", n + 1
    seen.add(candidate)
    return candidate


# Words that say where a step sits in the notebook, not what it makes: a heading made only of
# them ("Quick look", "Part 2", "Let's try it") does not name a function
_FILLER = frozenset(
    {
        "a", "again", "an", "and", "appendix", "at", "bonus", "conclusion", "example",
        "examples", "exercise", "exercises", "extra", "final", "first", "for", "here", "how",
        "in", "intro", "introduction", "it", "let", "lets", "look", "misc", "miscellaneous",
        "more", "next", "note", "notes", "now", "of", "on", "other", "our", "overview", "part",
        "quick", "s", "section", "setup", "set", "solution", "some", "step", "the", "then",
        "this", "to", "try", "up", "us", "we", "what", "with", "why",
    }
)  # fmt: skip


_PATHLIKE = re.compile(r"(path|dir|folder|file|root)", re.I)


def _is_filler(heading: str) -> bool:
    return all(w in _FILLER or w.isdigit() for w in heading.split("_"))


def _output_slug(name: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^0-9a-zA-Z_]", "", name).lower()).strip("_")


def function_name(
    group: Sequence[Statement],
    role: Role,
    heading_of: Mapping[int, str],
    outputs: Sequence[str],
    taken: set[str],
) -> str:
    """A name for the function made of `group`: its heading, else what it returns (the main
    output last), else its role; never a numbered suffix (`_2`) unless nothing else is free."""
    heading = _slug(heading_of.get(group[0].cell, ""))
    if heading and _is_filler(heading):
        heading = ""
    verb = _VERBS[role]
    if role is Role.MODEL and not any(
        c.name.endswith(".fit") or c.name == "fit" or c.name.endswith(".fit_transform")
        for st in group
        for c in st.symbols.calls
    ):
        verb = "evaluate"
    if role is Role.DATA and outputs and all(_PATHLIKE.search(o) for o in outputs):
        verb = "locate"  # it computes where the data is, and reads nothing
    named = [o for o in (_output_slug(n) for n in reversed(outputs)) if o]
    candidates: list[str] = []
    if heading:
        candidates.append(
            heading if heading.split("_")[0] in _LEADING_VERBS else f"{verb}_{heading}"
        )
    candidates += [f"{verb}_{o}" for o in named]
    candidates += [f"{candidates[0]}_{o}" for o in named[:1] if heading]
    candidates += [f"{verb}_{o}_{role.value}" for o in named[:1]]
    candidates.append(f"{verb}_{role.value}")
    usable = [
        c
        for c in (re.sub(r"_+", "_", c)[:60].strip("_") for c in candidates)
        if c.isidentifier() and not keyword.iskeyword(c)
    ]
    for candidate in usable:
        if candidate not in taken and not is_known_name(candidate):
            return candidate
    # every name is taken: the cell it starts at tells it apart
    base = f"{usable[0]}_cell{group[0].cell}"
    candidate, n = base, 2
    while candidate in taken or is_known_name(candidate):
        candidate, n = f"{base}_{n}", n + 1
    return candidate


# -- module aliases bound to different modules in different cells


@dataclass(frozen=True, slots=True)
class Rename:
    """A binding of an alias to a module other than the one keeping the alias, and the name it
    gets in the package."""

    alias: str  # as the notebook spells it (`np`)
    target: str  # the module or member it is bound to there (`autograd.numpy`)
    name: str  # its name in the package (`autograd_numpy`)


def is_import_statement(st: Statement) -> bool:
    """Only imports: the statement goes to the top of every module that uses its names."""
    body = st.tree.body
    return bool(body) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in body)


def rebound_aliases(statements: Sequence[Statement]) -> dict[str, tuple[str, str]]:
    """Rename aliases that imports bind to different modules across the notebook.

    Imports go to the top of every generated module, where the last binding of a name would win
    for every function. So one module keeps the alias (the first one a formula or query string
    reads, else the first one bound); each other one gets a name of its own (`autograd.numpy` ->
    `autograd_numpy`, unique in the notebook), and the statements that saw that binding, in page
    order, read the new name (in formula strings too: patsy evaluates `np.log(x)` in the
    caller's namespace). A function the notebook defines gets the binding in force where it is
    defined. Returns statement key -> (new code, note).
    """
    targets: dict[str, list[str]] = {}
    for st in statements:
        if is_import_statement(st):
            for alias, target in _bindings(st).items():
                known = targets.setdefault(alias, [])
                if target not in known:
                    known.append(target)
    rebound = {a: t for a, t in targets.items() if len(t) > 1}
    if not rebound:
        return {}
    in_strings = _read_in_strings(statements, set(rebound))
    taken = names_in(statements)
    renames: dict[tuple[str, str], Rename] = {}
    for alias, bound in sorted(rebound.items()):
        # a formula's text is also its terms' names (`np.log(x)` labels a coefficient): the
        # binding formulas read keeps the alias, so their text stays as the notebook wrote it
        keeper = next((t for t in bound if (alias, t) in in_strings), bound[0])
        for target in bound:
            if target != keeper:
                name = _fresh(target.replace(".", "_"), taken, target, statements)
                taken.add(name)
                renames[alias, target] = Rename(alias, target, name)

    imports = [st for st in statements if is_import_statement(st)]
    for st in imports:  # `import a.b` binds `a` and loads `a.b`: no other name does both
        for pair in _bindings(st).items():
            if pair in renames and _rename_in_imports(st.code, [renames[pair]]) is None:
                del renames[pair]
    rewrites: dict[str, tuple[str, str]] = {}
    for st in imports:
        active = [renames[pair] for pair in _bindings(st).items() if pair in renames]
        code = _rename_in_imports(st.code, active) if active else None
        if code is not None:
            rewrites[st.key] = (code, _note(active))

    current: dict[str, str | None] = {}  # alias -> the target in force (None: not an import's)
    for st in statements:
        if is_import_statement(st):
            current.update(_bindings(st))
            continue
        reading = [
            renames[alias, target]
            for alias, target in current.items()
            if target is not None and (alias, target) in renames and _mentions(st, alias)
        ]
        if reading:
            code = _rename_reads(st.code, reading)
            if code != st.code:
                rewrites[st.key] = (code, _note(reading))
        for ref in st.symbols.defines:
            if ref.name in current:
                current[ref.name] = None  # bound by other code: left as the notebook wrote it
    return rewrites


def _read_in_strings(statements: Sequence[Statement], aliases: set[str]) -> set[tuple[str, str]]:
    """(alias, target) pairs some formula or query string reads, the target in force there."""
    found: set[tuple[str, str]] = set()
    current: dict[str, str] = {}
    for st in statements:
        if is_import_statement(st):
            current.update(_bindings(st))
            continue
        for node in ast.walk(st.tree):
            if isinstance(node, ast.Call):
                for embedded in names_in_call(node):
                    if embedded.name in aliases and embedded.name in current:
                        found.add((embedded.name, current[embedded.name]))
    return found


def _bindings(st: Statement) -> dict[str, str]:
    table: dict[str, str] = {}
    bind_imports(table, st.symbols.imports)
    return table


def _note(renames: Sequence[Rename]) -> str:
    done = ", ".join(f"`{r.alias}` ({r.target}) renamed `{r.name}`" for r in renames)
    return f"{done}: the notebook binds the alias to another module elsewhere"


def names_in(statements: Sequence[Statement]) -> set[str]:
    """Every name the statements bind or read (imports, definitions, parameters)."""
    names: set[str] = set()
    for st in statements:
        for node in ast.walk(st.tree):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.split(".")[0])
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return names


def _fresh(base: str, taken: set[str], target: str, statements: Sequence[Statement]) -> str:
    """`base`, or `base_2`...: a name no statement uses, unless only as this very module."""
    base = re.sub(r"\W", "_", base) or "module"
    if keyword.iskeyword(base):
        base += "_"
    candidate, n = base, 2
    while (candidate in taken and not _same_module(candidate, target, statements)) or (
        is_known_name(candidate)
    ):
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def _same_module(name: str, target: str, statements: Sequence[Statement]) -> bool:
    """Whether every binding of `name` in the notebook is an import of `target`."""
    seen = False
    for st in statements:
        if any(ref.name == name for ref in st.symbols.defines):
            if not is_import_statement(st) or _bindings(st).get(name) != target:
                return False
            seen = True
    return seen


def _mentions(st: Statement, alias: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == alias for n in ast.walk(st.tree)) or any(
        e.name == alias
        for n in ast.walk(st.tree)
        if isinstance(n, ast.Call)
        for e in names_in_call(n)
    )


def _rename_in_imports(code: str, renames: Sequence[Rename]) -> str | None:
    """The import statement binding the new names; None when one cannot be renamed alone
    (`import a.b` binds `a` and loads `a.b`: no alias does both)."""
    new = {r.alias: r.name for r in renames}
    module = cst.parse_module(code)
    refused = False

    class Renamer(cst.CSTTransformer):
        def leave_ImportAlias(
            self, original_node: cst.ImportAlias, updated_node: cst.ImportAlias
        ) -> cst.ImportAlias:
            nonlocal refused
            dotted = cst.Module(body=[]).code_for_node(updated_node.name)
            asname = updated_node.asname
            bound = (
                asname.name.value
                if asname is not None and isinstance(asname.name, cst.Name)
                else dotted.split(".")[0]
            )
            if bound not in new:
                return updated_node
            if asname is None and "." in dotted:
                refused = True
                return updated_node
            if new[bound] == dotted:  # `import math as np` -> `import math`
                return updated_node.with_changes(asname=None)
            return updated_node.with_changes(
                asname=cst.AsName(
                    name=cst.Name(new[bound]),
                    whitespace_before_as=cst.SimpleWhitespace(" "),
                    whitespace_after_as=cst.SimpleWhitespace(" "),
                )
            )

    result = module.visit(Renamer()).code
    return None if refused else result


def _rename_reads(code: str, renames: Sequence[Rename]) -> str:
    """`code` with the module-level alias read under its new name: names that a function,
    lambda or comprehension binds for itself stay, and so do attributes and keywords."""
    new = {r.alias: r.name for r in renames}
    wrapper = MetadataWrapper(cst.parse_module(code))
    scopes = wrapper.resolve(ScopeProvider)
    targets: set[cst.CSTNode] = set()
    for scope in {s for s in scopes.values() if s is not None}:
        for alias in new:
            for access in scope.accesses[alias]:
                if all(isinstance(a.scope, GlobalScope) for a in access.referents):
                    targets.add(access.node)

    class Renamer(cst.CSTTransformer):
        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
            if original_node in targets:
                return updated_node.with_changes(value=new[original_node.value])
            return updated_node

        def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
            return _rename_in_formula(updated_node, new)

    return wrapper.module.visit(Renamer()).code


def _rename_in_formula(call: cst.Call, new: Mapping[str, str]) -> cst.Call:
    """A formula or query string reading a renamed alias (`"y ~ np.log(x)"`) reads the new name."""
    try:
        parsed = ast.parse(cst.Module(body=[]).code_for_node(call).strip(), mode="eval").body
    except SyntaxError:
        return call
    if not isinstance(parsed, ast.Call):
        return call
    read = {e.name for e in names_in_call(parsed)} & set(new)
    if not read:
        return call
    args = list(call.args)
    index = next(
        (
            i
            for i, a in enumerate(args)
            if (a.keyword is None and i == 0)
            or (a.keyword is not None and a.keyword.value in _STRING_KEYWORDS)
        ),
        None,
    )
    if index is None or not isinstance(args[index].value, cst.SimpleString):
        return call
    literal = args[index].value
    assert isinstance(literal, cst.SimpleString)
    text = literal.value
    for alias in read:
        text = _rename_in_text(text, alias, new[alias])
    args[index] = args[index].with_changes(value=literal.with_changes(value=text))
    return call.with_changes(args=args)


_STRING_KEYWORDS = frozenset({"formula", "formula_like", "spec", "expr", "ex"})


def _rename_in_text(text: str, alias: str, name: str) -> str:
    """`alias` as a name in call or attribute position, outside backtick-quoted columns."""
    pattern = re.compile(rf"(?<![\w.@`]){re.escape(alias)}(?=\s*[.(])")
    pieces = re.split(r"(`[^`\n]*`)", text)
    return "".join(p if p.startswith("`") else pattern.sub(name, p) for p in pieces)
