"""Give every statement a role, from evidence, and say why (docs/roles.md lists the rules).

Order of evidence, strongest first: an explicit override (cell tag `nb2prod:<role>`,
a `# nb2prod: <role>` comment, `[tool.nb2prod.roles]`), then the APIs the statement calls,
then whether it only makes, reads back or feeds a figure (nb2prod/data/display_apis.json),
then data flow (what consumes model outputs is business; what feeds a model is features),
then the markdown heading above the cell, then the default (features).
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from nb2prod.analysis.imports import bind_imports, qualify
from nb2prod.analysis.random_sinks import root_name
from nb2prod.analysis.randomness import is_global_draw
from nb2prod.analysis.statements import Statement
from nb2prod.analysis.syntax import dotted_name
from nb2prod.core.vocabulary import USER_ROLES, Role
from nb2prod.notebook.model import Notebook

_OVERRIDE_COMMENT = re.compile(rf"#\s*nb2prod:\s*({'|'.join(USER_ROLES)})\b")

_READERS = re.compile(
    r"^(pandas\.read_\w+|numpy\.(load|loadtxt|genfromtxt|fromfile)|json\.load|pickle\.load|"
    r"sklearn\.datasets\.(load_\w+|fetch_\w+|make_\w+)|open|polars\.read_\w+|pyarrow\.\w+\.read_\w+|"
    r"scipy\.io\.loadmat|h5py\.File|sqlite3\.connect|requests\.get|urllib\.request\.urlopen|"
    r"datasets\.load_dataset|seaborn\.load_dataset|tensorflow\.keras\.datasets\.\w+\.load_data|"
    r"keras\.datasets\.\w+\.load_data|torchvision\.datasets\.\w+)$"
)
_MODEL_METHODS = frozenset(
    {
        "fit",
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "score",
        "fit_predict",
        "partial_fit",
        "evaluate",
        "compile",
        "train",
    }
)
_MODEL_MODULES = re.compile(
    r"^(sklearn\.(ensemble|linear_model|tree|svm|neighbors|naive_bayes|neural_network|cluster|"
    r"gaussian_process|discriminant_analysis|semi_supervised|mixture|kernel_ridge|dummy|multiclass|"
    r"multioutput|calibration|isotonic|metrics|model_selection)|statsmodels|xgboost|lightgbm|catboost|"
    r"torch\.nn|torch\.optim|tensorflow\.keras\.(models|layers|optimizers)|keras\.(models|layers|optimizers))"
)
_EXPLORATION_CALLS = re.compile(
    r"^(print|display|matplotlib\.\w+.*|seaborn\.\w+|plotly\.\w+.*|IPython\.display\.\w+|pprint\.pprint|"
    r"missingno\.\w+|pandas\.plotting\.\w+|help|dir|type)$"
)
_EXPLORATION_METHODS = frozenset(
    {
        "head",
        "tail",
        "describe",
        "info",
        "plot",
        "hist",
        "show",
        "sample",
        "value_counts",
        "boxplot",
        "scatter",
        "savefig",
        "imshow",
        "corr",
        "nunique",
        "unique",
        "isnull",
        "isna",
        "set_title",
        "set_xlabel",
        "set_ylabel",
        "legend",
        "bar",
        "barh",
        "pie",
        "style",
        "memory_usage",
        "dtypes",
        "shape",
    }
)
_HEADING_HINTS = (
    (
        re.compile(
            r"\b(busines|decision|rule|polic|approv|pricing|cost|profit|threshold|action|recommend)",
            re.I,
        ),
        Role.BUSINESS,
    ),
    (
        re.compile(r"\b(model|train|fit|evaluat|predict|classif|regress|valid|tuning|score)", re.I),
        Role.MODEL,
    ),
    (
        re.compile(r"\b(feature|preprocess|clean|transform|engineer|prepar|encod)", re.I),
        Role.FEATURES,
    ),
    (re.compile(r"\b(load|read|data ?set|ingest|import data|get data|source)", re.I), Role.DATA),
)
_WRITERS = re.compile(
    r"^(to_(csv|parquet|excel|json|pickle|feather|hdf|sql|orc)|makedirs|mkdir|savetxt|"
    r"save|savez|dump)$"
)
# Methods with no side effects: a bare expression calling them only shows a value.
_PURE_METHODS = frozenset(
    {
        "mean",
        "sum",
        "median",
        "std",
        "var",
        "min",
        "max",
        "count",
        "round",
        "sort_values",
        "sort_index",
        "groupby",
        "agg",
        "aggregate",
        "apply",
        "copy",
        "head",
        "tail",
        "describe",
        "reset_index",
        "to_frame",
        "astype",
        "abs",
        "cumsum",
        "quantile",
        "items",
        "keys",
        "values",
        "get_params",
        "len",
        "sorted",
        "list",
        "dict",
        "set",
        "tuple",
        "str",
        "repr",
        "format",
        "isin",
        "nlargest",
        "nsmallest",
        "mode",
        "pivot_table",
        "crosstab",
        "merge",
        "join",
        "query",
        "filter",
        "loc",
        "iloc",
    }
)
_BUSINESS_SIGNS = re.compile(r"np\.where|numpy\.where|\bwhere\(|\bclip\(|>=|<=|>|<")


@dataclass(frozen=True, slots=True)
class RoleDecision:
    role: Role
    reason: str
    # display only: the figures it draws on or changes (`ax.hist(x)` changes `ax`), so a kept
    # statement reading one of them back keeps it too
    figures_changed: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FigureApis:
    """What makes figure objects and what only they can do (nb2prod/data/display_apis.json)."""

    factories: frozenset[str]  # qualified library functions returning a figure object
    plot_methods: frozenset[str]  # methods of the notebook's objects that draw and return axes
    figure_methods: frozenset[str]  # methods only figure objects have
    read_methods: frozenset[str]  # methods that only read their receiver (`df.columns.tolist()`)


@lru_cache(maxsize=1)
def figure_apis() -> FigureApis:
    """The table of figure APIs, read once."""
    text = resources.files("nb2prod.data").joinpath("display_apis.json").read_text("utf-8")
    raw = json.loads(text)
    return FigureApis(
        frozenset(
            f"{module}.{name}" for module, names in raw["factories"].items() for name in names
        ),
        frozenset(raw["plot_methods"]["names"]),
        frozenset(raw["figure_methods"]["names"]),
        frozenset(raw["read_methods"]["names"]) | _PURE_METHODS | _EXPLORATION_METHODS,
    )


def _literal(node: ast.AST) -> bool:
    """A constant, or a list/tuple/dict/set of constants (negative numbers included)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _literal(node.operand)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        # flat and short: a list of lists, or hundreds of numbers, is data rather than a parameter
        return (
            bool(node.elts)
            and len(node.elts) <= 50
            and all(
                _literal(e) and not isinstance(e, (ast.List, ast.Tuple, ast.Set, ast.Dict))
                for e in node.elts
            )
        )
    if isinstance(node, ast.Dict):
        return (
            bool(node.keys)
            and all(k is not None and _literal(k) for k in node.keys)
            and all(_literal(v) for v in node.values)
        )
    return False


def config_literal(tree: ast.Module) -> tuple[str, ast.expr] | None:
    """The name and value of a `NAME = literal` statement, if that is what this is."""
    if len(tree.body) != 1:
        return None
    node = tree.body[0]
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target, value = node.target, node.value
    else:
        return None
    if not isinstance(target, ast.Name) or not _literal(value):
        return None
    if isinstance(value, ast.Constant) and (value.value is None or isinstance(value.value, bytes)):
        return None
    return target.id, value


def config_assignment(tree: ast.Module) -> str | None:
    """The name of a `NAME = literal` statement, if that is what this is."""
    found = config_literal(tree)
    return found[0] if found is not None else None


def headings(notebook: Notebook) -> dict[int, str]:
    """For each cell index, the nearest section heading above it (level 2 and deeper:
    a level-1 heading is the notebook's title, not a section)."""
    current = ""
    table: dict[int, str] = {}
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                stripped = line.lstrip()
                if stripped.startswith("##"):
                    current = stripped.lstrip("# ").strip()
        table[cell.index] = current
    return table


def _cell_override(
    notebook: Notebook, cell: int, overrides: Mapping[str, str]
) -> RoleDecision | None:
    c = notebook.cells[cell]
    for tag in c.tags:
        if tag.startswith("nb2prod:") and tag[8:] in USER_ROLES:
            return RoleDecision(Role(tag[8:]), f"cell tag {tag}")
    for key in (c.id, str(cell)):
        if key in overrides and overrides[key] in USER_ROLES:
            return RoleDecision(
                Role(overrides[key]), f"[tool.nb2prod.roles] {key} = {overrides[key]!r}"
            )
    return None


def classify(
    notebook: Notebook, statements: Sequence[Statement], overrides: Mapping[str, str] | None = None
) -> tuple[RoleDecision, ...]:
    """A role and a reason for every statement, in order."""
    overrides = overrides or {}
    heading_of = headings(notebook)
    aliases: dict[str, str] = {}
    model_outputs: set[str] = set()  # names computed by model calls, and names derived from them
    decisions: list[RoleDecision] = []
    parameters_cells = {c.index for c in notebook.cells if "parameters" in c.tags}
    # a literal is a parameter only if nothing else binds or changes that name
    computed: set[str] = set()
    for st in statements:
        if not st.code.strip() or config_assignment(st.tree) is None:
            computed |= {r.name for r in st.symbols.defines}
        computed |= {m.name for m in st.symbols.mutations}
    # figure objects (axes, figures, artists) and values read back from them: display values
    figures: set[str] = set()
    for st in statements:
        bind_imports(aliases, st.symbols.imports)
        figure = _figure_evidence(st, aliases, figures)
        decision = _decide(
            st,
            notebook,
            heading_of,
            aliases,
            model_outputs,
            parameters_cells,
            overrides,
            computed,
            figure,
        )
        if decision.role is Role.EXPLORATION:
            changed = _figures_changed(st, figures)
            if changed:
                decision = replace(decision, figures_changed=changed)
        decisions.append(decision)
        # what a display statement binds is display too; a kept statement rebinding a name
        # gives it a real value again
        if figure is not None and decision.role is Role.EXPLORATION:
            figures |= {r.name for r in st.symbols.defines}
        else:
            figures -= {r.name for r in st.symbols.defines}
        # model outputs spread through assignment only: `df["pred"] = model.predict(X)` does not
        # make every later use of `df` a business rule
        defined = {r.name for r in st.symbols.defines}
        used = {r.name for r in st.symbols.uses}
        if (decision.role is Role.MODEL and _calls_model_output(st, aliases)) or (
            used & model_outputs and decision.role is not Role.MODEL
        ):
            model_outputs |= defined
    return tuple(decisions)


def _qualified_calls(st: Statement, aliases: dict[str, str]) -> list[tuple[str, str]]:
    """(qualified or raw dotted name, last attribute) of each call made at once."""
    out = []
    for call in st.symbols.calls:
        if call.deferred:
            continue
        q = qualify(aliases, call.name) or call.name
        out.append((q, call.name.rpartition(".")[2]))
    return out


def _calls_model_output(st: Statement, aliases: dict[str, str]) -> bool:
    return any(
        last
        in ("predict", "predict_proba", "decision_function", "predict_log_proba", "fit_predict")
        for _, last in _qualified_calls(st, aliases)
    )


def _decide(
    st: Statement,
    notebook: Notebook,
    heading_of: Mapping[int, str],
    aliases: dict[str, str],
    model_outputs: set[str],
    parameters_cells: set[int],
    overrides: Mapping[str, str],
    computed: set[str],
    figure: str | None,
) -> RoleDecision:
    if st.dropped_magic:
        return RoleDecision(Role.EXPLORATION, st.rewrite or "IPython magic")
    comment = _OVERRIDE_COMMENT.search(st.code)
    if comment:
        return RoleDecision(Role(comment.group(1)), f"comment '# nb2prod: {comment.group(1)}'")
    cell_override = _cell_override(notebook, st.cell, overrides)
    tree = st.tree
    body = tree.body
    if body and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in body):
        return RoleDecision(Role.IMPORT, "import: placed in every module that uses it")
    if cell_override is not None:
        return cell_override
    literal_name = config_assignment(tree)
    if literal_name is not None and literal_name not in computed:
        if st.cell in parameters_cells:
            return RoleDecision(Role.CONFIG, "literal in the papermill 'parameters' cell")
        return RoleDecision(Role.CONFIG, "module-level literal: a parameter")
    heading = heading_of.get(st.cell, "")
    calls = _qualified_calls(st, aliases)
    if body and all(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in body
    ):
        hinted = _heading_role(heading)
        role = hinted if hinted not in (None, Role.EXPLORATION) else Role.FEATURES
        return RoleDecision(
            role, f"definition under heading '{heading}'" if hinted else "definition"
        )
    if _is_exploration(body, calls, aliases):
        return _display(calls, heading, "display, print or plot only")
    for qualified, last in calls:
        if _READERS.match(qualified) or last.startswith("read_"):
            return RoleDecision(Role.DATA, f"reads data with {qualified}()")
        if _WRITERS.match(last):
            return RoleDecision(Role.DATA, f"writes data with {qualified}()")
    # a writer called on a value made on the spot (`pd.DataFrame(rows).to_csv(PATH)`): the
    # statement's recorded calls hold dotted callees only
    for node in _calls_made(tree):
        callee = _callee(node, aliases)
        if callee is not None and callee[0].startswith("<expr>.") and _WRITERS.match(callee[1]):
            return RoleDecision(Role.DATA, f"writes data with .{callee[1]}() on a value made there")
    for qualified, last in calls:
        if qualified.split(".")[0] in sys.stdlib_module_names:
            continue  # re.compile, json.load... are not model APIs
        if last in _MODEL_METHODS or _MODEL_MODULES.match(qualified):
            return RoleDecision(Role.MODEL, f"model API {qualified}()")
    if figure is not None:
        # left out with the plot it reads, so the package never reads an empty figure
        return _display(calls, heading, figure)
    used = {r.name for r in st.symbols.uses}
    consumed = used & model_outputs
    if consumed:
        name = sorted(consumed)[0]
        return RoleDecision(Role.BUSINESS, f"consumes model output '{name}'")
    hinted = _heading_role(heading)
    if hinted is Role.BUSINESS:
        if _BUSINESS_SIGNS.search(st.code):
            return RoleDecision(Role.BUSINESS, f"rule under heading '{heading}'")
    elif hinted in (Role.FEATURES, Role.DATA, Role.MODEL):
        return RoleDecision(hinted, f"under heading '{heading}'")
    return RoleDecision(Role.FEATURES, "computation on data (default)")


def _display(calls: list[tuple[str, str]], heading: str, reason: str) -> RoleDecision:
    """Exploration, unless the statement draws from the global random generator."""
    draws = next((q for q, _ in calls if is_global_draw(q)), None)
    if draws is None:
        return RoleDecision(Role.EXPLORATION, reason)
    # leaving it out would shift every later draw from the shared generator
    hinted = _heading_role(heading)
    return RoleDecision(
        hinted if hinted not in (None, Role.EXPLORATION) else Role.FEATURES,
        f"shows a value but draws from the global random generator ({draws}()): kept so "
        "later draws match the notebook",
    )


def _figure_evidence(st: Statement, aliases: dict[str, str], figures: set[str]) -> str | None:
    """Why the statement is display because it makes, reads back or only feeds a figure
    object, or None. Receivers of methods only figures have join `figures`.

    Not display: a statement that also changes a value that is not a figure
    (`df["lo"] = ax.get_xlim()[0]`), binds a name from something else (`trace = pm.sample()`
    in a block that also plots), or calls the notebook's own code without handing it a
    figure, or with other values too (`train_and_plot(model, ax)` may fit `model`).
    """
    apis = figure_apis()
    calls = list(_calls_made(st.tree))
    for call in calls:  # first, what the methods called say about their receivers
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in apis.figure_methods:
            receiver = root_name(func.value)
            if receiver is not None and receiver not in aliases:
                figures.add(receiver)
    defined = {r.name for r in st.symbols.defines}
    used = {r.name for r in st.symbols.uses}
    if any(m.name not in figures and m.name not in defined for m in st.symbols.mutations) or (
        (defined & used) - figures
    ):
        return None
    if not _binds_only_figures(st.tree, aliases, figures):
        return None
    found: list[tuple[int, str]] = []
    for call in calls:
        kind = _figure_call(call, aliases, figures)
        if kind is not None:
            found.append(kind)
            continue
        func = call.func
        dotted = dotted_name(func)
        if dotted is not None and qualify(aliases, dotted) is not None:
            continue  # a library function: `np.linspace`, `pd.cut`
        if isinstance(func, ast.Name) and func.id not in defined and hasattr(builtins, func.id):
            continue
        if isinstance(func, ast.Attribute) and func.attr in apis.read_methods:
            continue
        # the notebook's own code, or an unknown method: it may change what it is given
        if not _given_only_figures(call, aliases, figures):
            return None
    read = sorted(used & figures)
    if read:
        return f"display: reads or changes '{read[0]}', a figure or a value read back from one"
    return min(found)[1] if found else None


def _figure_call(
    call: ast.Call, aliases: dict[str, str], figures: set[str]
) -> tuple[int, str] | None:
    """(rank, reason) when the call makes, reads or feeds a figure; the lowest rank is shown."""
    apis = figure_apis()
    func = call.func
    dotted = dotted_name(func)
    qualified = qualify(aliases, dotted) if dotted is not None else None
    if qualified is not None:
        if qualified in apis.factories:
            return 3, f"display: makes a figure with {qualified}()"
        return None
    if not isinstance(func, ast.Attribute):
        return None
    shown = dotted_name(func, opaque="<expr>") or func.attr
    if func.attr in apis.figure_methods:
        return 1, f"display: {shown}() works on a figure"
    if func.attr in apis.plot_methods or (
        isinstance(func.value, ast.Attribute) and func.value.attr == "plot"
    ):
        return 2, f"display: draws with {shown}()"
    if root_name(func.value) in figures:
        return 0, f"display: {shown}() works on a figure"
    return None


def _touches_figure(node: ast.AST, aliases: dict[str, str], figures: set[str]) -> bool:
    """The expression reads a figure, or calls something that makes, reads or feeds one."""
    return any(
        (isinstance(n, ast.Name) and n.id in figures)
        or (isinstance(n, ast.Call) and _figure_call(n, aliases, figures) is not None)
        for n in ast.walk(node)
    )


def _binds_only_figures(tree: ast.Module, aliases: dict[str, str], figures: set[str]) -> bool:
    """Every name the statement assigns gets a figure or a value read back from one (loop and
    `with` targets aside): in `for` and `with` blocks a plot may sit beside real work."""
    assigns: list[tuple[list[str], ast.AST]] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(child, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and child.value:
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
                assigns.append((names, child.value))
            stack.append(child)
    bound = set(figures)
    changed = True
    while changed:  # `lo, hi = ax.get_xlim()` then `span = hi - lo` in one block
        changed = False
        for names, value in assigns:
            if not set(names) <= bound and _touches_figure(value, aliases, bound):
                bound |= set(names)
                changed = True
    return all(set(names) <= bound for names, _ in assigns)


def _given_only_figures(call: ast.Call, aliases: dict[str, str], figures: set[str]) -> bool:
    """The call is handed (receiver included) a figure, and nothing else the notebook made:
    whatever it changes is display (`annotate_bars(ax)`)."""
    given: list[ast.AST] = [*call.args, *(k.value for k in call.keywords)]
    if isinstance(call.func, ast.Attribute):
        given.append(call.func.value)
    names = {n.id for a in given for n in ast.walk(a) if isinstance(n, ast.Name)}
    return any(_touches_figure(a, aliases, figures) for a in given) and all(
        n in figures or n in aliases or hasattr(builtins, n) for n in names
    )


def _calls_made(tree: ast.AST) -> Iterator[ast.Call]:
    """The calls a statement makes when it runs, not those inside the functions it defines."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(child, ast.Call):
            yield child
        yield from _calls_made(child)


def _figures_changed(st: Statement, figures: set[str]) -> frozenset[str]:
    """The figures whose methods the statement calls, other than `get_*` reads."""
    return frozenset(
        receiver
        for call in _calls_made(st.tree)
        if isinstance(call.func, ast.Attribute) and not call.func.attr.startswith("get_")
        for receiver in (root_name(call.func.value),)
        if receiver is not None and receiver in figures
    )


def _heading_role(heading: str) -> Role | None:
    for pattern, role in _HEADING_HINTS:
        if pattern.search(heading):
            return role
    return None


def _is_exploration(
    body: list[ast.stmt], calls: list[tuple[str, str]], aliases: dict[str, str]
) -> bool:
    """Statements that only show something: bare values, print/display, plots."""
    if not body:
        return True
    for node in body:
        if isinstance(node, ast.Expr):
            value = node.value
            if isinstance(value, ast.Call):
                if any(k.arg == "inplace" for k in value.keywords):
                    return False
                callee = _callee(value, aliases)
                if callee is None:
                    return False
                qualified, last = callee
                if not (
                    _EXPLORATION_CALLS.match(qualified)
                    or last in _EXPLORATION_METHODS
                    or last in _PURE_METHODS
                    or qualified in _PURE_METHODS
                ):
                    return False
            elif isinstance(value, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
                return False
            # other bare expressions only show a value
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            # `fig, ax = plt.subplots()` and friends
            if not calls or not all(_EXPLORATION_CALLS.match(q) for q, _ in calls):
                return False
        else:
            return False
    return True


def _callee(call: ast.Call, aliases: dict[str, str]) -> tuple[str, str] | None:
    dotted = dotted_name(call.func, opaque="<expr>")
    if dotted is None:
        return None
    return qualify(aliases, dotted) or dotted, dotted.rpartition(".")[2]
