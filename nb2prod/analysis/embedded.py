"""Names that code reads from inside string literals: formulas, DataFrame.query/eval, numexpr.

patsy and formulaic evaluate the Python pieces of a formula in the caller's frame
(`smf.glm("y ~ double_it(x)", data=df)` calls the notebook's `double_it`); pandas' `query` and
`eval` read `@name` from it, `pandas.eval` and `numexpr.evaluate` read every name from it.
`names_in_call` finds those names for one `ast.Call`, so the data flow can count them as reads.

Which callee is which: a name bound by an import the caller has seen (`import statsmodels.formula.api
as sf`) is resolved through it; otherwise the common aliases (`smf`, `sm`, `pd`, `ne`) and the
modules' own names stand for their modules, because a notebook's imports are usually in another
cell than its model. A bare `ols(...)`/`glm(...)` imported elsewhere counts only when its string
holds a `~`. `.query`/`.eval` on any other receiver is taken as pandas'. Strings that do not
parse as what their callee expects give no names (SQL passed to some `.query` stays silent).

What is a read: in a formula, names in call position (`double_it`, `np` in `np.log(x)`), not
the formula language's own functions (`C`, `I`, `Q`, `bs`, ...); bare names only when the call
gives no `data`, since otherwise they are its columns. In `query`/`DataFrame.eval`, the
`@name` references (`@cfg.limit` reads `cfg`). In `pandas.eval`/`numexpr`, every free name
outside call position (their functions are their own). A call that supplies the namespace
(`local_dict=`, `global_dict=`, `resolvers=`, formulaic `context=`, `eval_env=-1`) gives none:
the mapping's own reads are already visible. Only literal strings are read: an f-string, a
concatenation or a variable holding the formula gives nothing.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from nb2prod.analysis.records import Import
from nb2prod.analysis.syntax import dotted_name

Kind = Literal["formula", "query", "expression"]

# The aliases notebooks bind by convention, used when the caller saw no import of the name.
CONVENTIONAL_ALIASES: Mapping[str, str] = {
    "smf": "statsmodels.formula.api",
    "sm": "statsmodels.api",
    "statsmodels": "statsmodels",
    "patsy": "patsy",
    "formulaic": "formulaic",
    "pd": "pandas",
    "pandas": "pandas",
    "ne": "numexpr",
    "numexpr": "numexpr",
}

# Every function of these modules takes a formula first (statsmodels.api.formula is the same module).
_FORMULA_MODULES = ("statsmodels.formula.api.", "statsmodels.api.formula.")
# Qualified functions taking a formula first; the value: whether a later `data` gives the columns
# (formulaic's Formula gets its data later, so its bare names are always columns).
_FORMULA_FUNCTIONS: Mapping[str, bool] = {
    "patsy.dmatrices": False,
    "patsy.dmatrix": False,
    "patsy.highlevel.dmatrices": False,
    "patsy.highlevel.dmatrix": False,
    "formulaic.model_matrix": False,
    "formulaic.Formula": True,
}
# statsmodels.formula.api's functions, recognised by name alone when imported in another cell.
_STATSMODELS_FORMULA_NAMES = frozenset(
    {
        "conditional_logit",
        "conditional_mnlogit",
        "conditional_poisson",
        "gee",
        "glm",
        "glmgam",
        "gls",
        "glsar",
        "logit",
        "mixedlm",
        "mnlogit",
        "negativebinomial",
        "nominal_gee",
        "ols",
        "ordinal_gee",
        "phreg",
        "poisson",
        "probit",
        "quantreg",
        "rlm",
        "wls",
    }
)
# Bare names of the functions above, when imported in another cell.
_BARE_FORMULA_FUNCTIONS: Mapping[str, bool] = {
    "dmatrices": False,
    "dmatrix": False,
    "model_matrix": False,
    "Formula": True,
}
_EXPRESSION_FUNCTIONS = frozenset({"pandas.eval", "numexpr.evaluate"})

# Functions the formula languages provide themselves: patsy.builtins and formulaic's transforms.
# `np` is not one: patsy (statsmodels' default) takes it from the caller's namespace.
FORMULA_BUILTINS = frozenset(
    {
        # patsy.builtins.__all__
        "I",
        "Q",
        "C",
        "ContrastMatrix",
        "Treatment",
        "Poly",
        "Sum",
        "Helmert",
        "Diff",
        "center",
        "standardize",
        "scale",
        "bs",
        "cr",
        "cc",
        "te",
        # formulaic.transforms.TRANSFORMS
        "log",
        "log10",
        "log2",
        "exp",
        "exp10",
        "exp2",
        "poly",
        "contr",
        "hashed",
        "lag",
        "basis_spline",
        "cs",
    }
)

_FORMULA_KEYWORDS = ("formula", "formula_like", "spec")
_EXPRESSION_KEYWORDS = ("expr", "ex")
# Keywords that give the string its own namespace: its names are not the caller's.
_NAMESPACE_KEYWORDS = frozenset({"local_dict", "global_dict", "resolvers", "context"})
_DATA_KEYWORD = "data"

# formulaic and pandas quote odd column names in backticks: a column, never the caller's name.
_BACKTICKS = re.compile(r"`[^`\n]*`")
_QUOTED = "_nb2prod_quoted_"
_LOCAL = "_nb2prod_local_"  # pandas' `@name`, spelled as a name Python can parse


@dataclass(frozen=True, slots=True)
class EmbeddedName:
    """A name a string literal reads from the caller's namespace, at the literal's position."""

    name: str
    kind: Kind
    literal: ast.Constant = field(compare=False, repr=False)  # positions for the data flow's Ref

    @property
    def line(self) -> int:
        return self.literal.lineno

    @property
    def column(self) -> int:
        return self.literal.col_offset + 1


def import_aliases(imports: Iterable[Import]) -> dict[str, str]:
    """Each name the imports bind, mapped to the qualified module or member it stands for."""
    aliases: dict[str, str] = {}
    for imp in imports:
        if imp.bound_as is None or imp.level:
            continue
        if imp.name is not None:
            aliases[imp.bound_as] = f"{imp.module}.{imp.name}"
        elif imp.bound_as == imp.module.split(".")[0]:
            aliases[imp.bound_as] = imp.bound_as  # `import a.b.c` binds the package `a`
        else:
            aliases[imp.bound_as] = imp.module
    return aliases


def names_in_call(node: ast.Call, imports: Sequence[Import] = ()) -> tuple[EmbeddedName, ...]:
    """The caller's names that the string literal passed to this call reads, if it is such a call.

    `imports` are the imports seen so far (in the cell or statement); they are turned into
    aliases only for the rare call that passes a string literal first.
    """
    found = _string_argument(node)
    if found is None:
        return ()
    literal, text = found
    kind, columns = _callee_kind(node, text, imports)
    if kind is None or any(k.arg in _NAMESPACE_KEYWORDS for k in node.keywords):
        return ()
    if kind == "formula":
        if _clean_eval_env(node):
            return ()
        names = formula_names(text, columns=columns or _gives_data(node))
    elif kind == "query":
        names = query_names(text)
    else:
        names = expression_names(text)
    return tuple(EmbeddedName(name, kind, literal) for name in names)


def _string_argument(node: ast.Call) -> tuple[ast.Constant, str] | None:
    """The literal string given first or as `formula=`/`expr=` (and friends), if any."""
    if node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first, first.value
        return None
    for keyword in node.keywords:
        if keyword.arg in _FORMULA_KEYWORDS or keyword.arg in _EXPRESSION_KEYWORDS:
            value = keyword.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value, value.value
    return None


def _qualified(dotted: str, imports: Sequence[Import]) -> tuple[str, bool]:
    """`dotted` with its first name resolved; whether that name was resolved at all."""
    root, dot, rest = dotted.partition(".")
    target = import_aliases(imports).get(root) if imports else None
    if target is None:
        target = CONVENTIONAL_ALIASES.get(root)
    if target is None:
        return dotted, False
    return target + dot + rest, True


def _callee_kind(node: ast.Call, text: str, imports: Sequence[Import]) -> tuple[Kind | None, bool]:
    """What the call's string is, and whether a formula's bare names are columns regardless."""
    func = node.func
    dotted = dotted_name(func)
    if dotted is not None:
        name, resolved = _qualified(dotted, imports)
        if name.startswith(_FORMULA_MODULES):
            return "formula", False
        if name in _FORMULA_FUNCTIONS:
            return "formula", _FORMULA_FUNCTIONS[name]
        if name in _EXPRESSION_FUNCTIONS:
            return "expression", False
        if not resolved and isinstance(func, ast.Name):
            if func.id in _BARE_FORMULA_FUNCTIONS:
                return "formula", _BARE_FORMULA_FUNCTIONS[func.id]
            if func.id in _STATSMODELS_FORMULA_NAMES and "~" in text:
                return "formula", False
        if resolved and name.startswith(("pandas.", "numexpr.")):
            return None, False  # another function of those modules
    if isinstance(func, ast.Attribute):
        if func.attr == "from_formula":
            return "formula", False
        if func.attr in ("query", "eval"):
            return "query", False
    return None, False


def _gives_data(node: ast.Call) -> bool:
    """Whether the call passes data (second positional, `data=`, or maybe through `*`/`**`)."""
    if len(node.args) >= 2 or any(isinstance(a, ast.Starred) for a in node.args):
        return True
    return any(k.arg is None or k.arg == _DATA_KEYWORD for k in node.keywords)


def _clean_eval_env(node: ast.Call) -> bool:
    """`eval_env=-1`: statsmodels evaluates the formula in an empty namespace."""
    for keyword in node.keywords:
        if keyword.arg == "eval_env":
            value = keyword.value
            return (
                isinstance(value, ast.UnaryOp)
                and isinstance(value.op, ast.USub)
                and isinstance(value.operand, ast.Constant)
                and value.operand.value == 1
            )
    return False


def _tokens(text: str) -> list[tokenize.TokenInfo] | None:
    try:
        return list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return None


def _parse(source: str, mode: Literal["eval", "exec"]) -> ast.AST | None:
    try:
        return ast.parse(source, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _callee_roots(tree: ast.AST) -> set[int]:
    """The ids of the Name nodes at the root of a callee (`f` in `f(x)`, `np` in `np.log(x)`)."""
    roots: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            while isinstance(func, (ast.Attribute, ast.Call, ast.Subscript)):
                func = func.func if isinstance(func, ast.Call) else func.value
            if isinstance(func, ast.Name):
                roots.add(id(func))
    return roots


def _ordered(names: Iterable[ast.Name], strip: str = "") -> list[str]:
    """Each name once, in the order the string spells them."""
    ordered = sorted(names, key=lambda n: (n.lineno, n.col_offset))
    return list(dict.fromkeys(n.id[len(strip) :] for n in ordered))


def formula_names(text: str, *, columns: bool) -> list[str]:
    """The caller's names a patsy/formulaic formula reads; bare names too unless `columns`."""
    sides = _formula_sides(_BACKTICKS.sub(_QUOTED, text.replace("%in%", "*")))
    if sides is None:
        return []
    trees: list[ast.AST] = []
    for side in sides:
        if not side.strip():
            continue
        tree = _parse(f"(\n{side}\n)", "eval")
        if tree is None:
            return []
        trees.append(tree)
    found: list[str] = []
    for tree in trees:
        roots = _callee_roots(tree)
        found += _ordered(
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Name)
            and node.id != _QUOTED
            and (node.id not in FORMULA_BUILTINS if id(node) in roots else not columns)
        )
    return list(dict.fromkeys(found))


def _formula_sides(text: str) -> list[str] | None:
    """Split at the top-level `~`s, with top-level `:` (interaction) spelled `*` so Python parses it."""
    tokens = _tokens(text)
    if tokens is None:
        return None
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    chars = list(text)
    cuts: list[int] = []
    depth = 0
    for tok in tokens:
        if tok.type != tokenize.OP:
            continue
        if tok.string in "([{":
            depth += 1
        elif tok.string in ")]}":
            depth -= 1
        elif depth == 0 and tok.string in ("~", ":"):
            offset = starts[tok.start[0] - 1] + tok.start[1]
            if tok.string == ":":
                chars[offset] = "*"
            else:
                cuts.append(offset)
    spelled = "".join(chars)
    sides: list[str] = []
    previous = 0
    for cut in cuts:
        sides.append(spelled[previous:cut])
        previous = cut + 1
    sides.append(spelled[previous:])
    return sides


def query_names(text: str) -> list[str]:
    """The `@name` references of a pandas `query`/`DataFrame.eval` string, if it parses."""
    tokens = _tokens(_BACKTICKS.sub(_QUOTED, text.strip()))
    if tokens is None:
        return []
    spelled: list[tuple[int, str]] = []
    local = False
    for tok in tokens:
        if tok.type == tokenize.OP and tok.string == "@":
            local = True
            continue
        if local:
            if tok.type != tokenize.NAME:
                return []
            spelled.append((tokenize.NAME, _LOCAL + tok.string))
            local = False
            continue
        spelled.append((tok.type, tok.string))
    tree = _parse(tokenize.untokenize(spelled), "exec")
    if tree is None or not _expression_statements(tree):
        return []
    return _ordered(
        (n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id.startswith(_LOCAL)),
        strip=_LOCAL,
    )


def expression_names(text: str) -> list[str]:
    """Every name a `pandas.eval`/`numexpr.evaluate` string reads (functions are their own)."""
    tree = _parse(text.strip(), "exec")
    if tree is None or not _expression_statements(tree):
        return []
    roots = _callee_roots(tree)
    return _ordered(
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in roots
    )


def _expression_statements(tree: ast.AST) -> bool:
    """Whether the code is expressions and assignments only, as pandas and numexpr accept."""
    body = tree.body if isinstance(tree, ast.Module) else []
    return bool(body) and all(isinstance(s, (ast.Expr, ast.Assign)) for s in body)
