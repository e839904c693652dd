"""Give every statement a role, from evidence, and say why (docs/roles.md lists the rules).

Order of evidence, strongest first: an explicit override (cell tag `nb2prod:<role>`,
a `# nb2prod: <role>` comment, `[tool.nb2prod.roles]`), then the APIs the statement calls,
then data flow (what consumes model outputs is business; what feeds a model is features),
then the markdown heading above the cell, then the default (features).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nb2prod.analysis.imports import bind_imports, qualify
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
    for st in statements:
        bind_imports(aliases, st.symbols.imports)
        decision = _decide(
            st, notebook, heading_of, aliases, model_outputs, parameters_cells, overrides, computed
        )
        decisions.append(decision)
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
        draws = next((q for q, _ in calls if is_global_draw(q)), None)
        if draws is None:
            return RoleDecision(Role.EXPLORATION, "display, print or plot only")
        # leaving it out would shift every later draw from the shared generator
        hinted = _heading_role(heading)
        return RoleDecision(
            hinted if hinted not in (None, Role.EXPLORATION) else Role.FEATURES,
            f"shows a value but draws from the global random generator ({draws}()): kept so "
            "later draws match the notebook",
        )
    for qualified, last in calls:
        if _READERS.match(qualified) or last.startswith("read_"):
            return RoleDecision(Role.DATA, f"reads data with {qualified}()")
        if _WRITERS.match(last):
            return RoleDecision(Role.DATA, f"writes data with {qualified}()")
    for qualified, last in calls:
        if qualified.split(".")[0] in sys.stdlib_module_names:
            continue  # re.compile, json.load... are not model APIs
        if last in _MODEL_METHODS or _MODEL_MODULES.match(qualified):
            return RoleDecision(Role.MODEL, f"model API {qualified}()")
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
