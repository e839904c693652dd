"""The vocabulary of randomness: which calls draw random numbers, and where their values may end.

Draws: from a process-wide generator (read by NB109 and by convert's roles), from a generator
made without a seed, or through pandas' `.sample(...)`. Ends: the display sinks and the calls
that keep what they get, read by the flow walk of `random_sinks`.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from nb2prod.analysis.imports import qualify
from nb2prod.analysis.symbols import Analysis
from nb2prod.analysis.syntax import dotted_name
from nb2prod.notebook.ipysyntax import may_have_ipython_syntax, translate

STDLIB_RANDOM = frozenset(
    {
        "random",
        "randint",
        "randrange",
        "choice",
        "choices",
        "shuffle",
        "sample",
        "uniform",
        "gauss",
        "normalvariate",
        "lognormvariate",
        "expovariate",
        "vonmisesvariate",
        "gammavariate",
        "betavariate",
        "paretovariate",
        "weibullvariate",
        "triangular",
        "getrandbits",
        "randbytes",
        "binomialvariate",
    }
)
# numpy.random attributes that are not draws from the global generator.
NUMPY_NOT_DRAWS = frozenset(
    {
        "seed",
        "get_state",
        "set_state",
        "default_rng",
        "RandomState",
        "Generator",
        "PCG64",
        "PCG64DXSM",
        "MT19937",
        "Philox",
        "SFC64",
        "SeedSequence",
        "BitGenerator",
    }
)


def is_global_draw(name: str) -> bool:
    """`name` (qualified) draws from the process-wide generator of `random` or `numpy.random`."""
    module, _, attr = name.rpartition(".")
    if module == "random":
        return attr in STDLIB_RANDOM
    return module == "numpy.random" and attr not in NUMPY_NOT_DRAWS


# --- where random values may end: the display sinks, and what counts as keeping them


class Sink(Enum):
    """What a display does with the values it gets."""

    PRINT = "print"  # shows them as text: a printed statistic of random values is a result
    PLOT = "plot"  # draws them


# Methods of matplotlib's Axes, Figure and artists, pandas' plotting (`df.plot.hist`,
# `s.hist()`), cufflinks' `iplot` and bokeh's glyphs. Not `step`: `env.step(action)` and
# `optimizer.step()` share that name.
_PLOT_METHODS = frozenset(
    {
        "plot",
        "scatter",
        "hist",
        "hist2d",
        "hexbin",
        "bar",
        "barh",
        "boxplot",
        "violinplot",
        "errorbar",
        "fill_between",
        "fill_betweenx",
        "pie",
        "stem",
        "stackplot",
        "stairs",
        "eventplot",
        "imshow",
        "matshow",
        "pcolor",
        "pcolormesh",
        "contour",
        "contourf",
        "quiver",
        "streamplot",
        "semilogx",
        "semilogy",
        "loglog",
        "axhline",
        "axvline",
        "hlines",
        "vlines",
        "axhspan",
        "axvspan",
        "annotate",
        "text",
        "legend",
        "set_title",
        "set_xlabel",
        "set_ylabel",
        "set_xlim",
        "set_ylim",
        "set_xticks",
        "set_yticks",
        "set_xticklabels",
        "set_yticklabels",
        "set_data",
        "set_xdata",
        "set_ydata",
        "set_offsets",
        "set_array",
        "plot_surface",
        "plot_wireframe",
        "plot_trisurf",
        "scatter3D",
        "plot3D",
        "iplot",
        "circle",
        "line",
        "vbar",
        "hbar",
        "quad",
        "rect",
        "multi_line",
        "patches",
        "varea",
        "harea",
    }
)

# The display sinks: the one table of where a random value may end without changing a result.
# Keys by form:
#   "name"   a builtin called by that bare name (print, display)
#   "pkg."   any function of that library through any import alias (`plt.hist`, `sns.kdeplot`,
#            `from matplotlib.pyplot import scatter`)
#   ".name"  a method of that name on any object that is not an imported module
#            (`ax.scatter`, `df.plot.hist`, `line.set_data`)
#   "*plot"  an imported function named for plotting: a word of its name starts with "plot"
#            (`separation_plot` from a module beside the notebook, `plot_tree`, `plotScatter`)
DISPLAY_SINKS: Mapping[str, Sink] = MappingProxyType(
    {
        "print": Sink.PRINT,  # unless it writes to a file (`file=`)
        "display": Sink.PRINT,
        "pprint.pprint": Sink.PRINT,
        "IPython.display.": Sink.PRINT,
        "matplotlib.": Sink.PLOT,
        "pylab.": Sink.PLOT,
        "seaborn.": Sink.PLOT,
        "plotly.": Sink.PLOT,
        "bokeh.plotting.": Sink.PLOT,
        "bokeh.io.": Sink.PLOT,
        "altair.": Sink.PLOT,
        "holoviews.": Sink.PLOT,
        "hvplot.": Sink.PLOT,
        "pandas.plotting.": Sink.PLOT,
        "networkx.draw": Sink.PLOT,  # draw, draw_networkx, draw_circular, ...
        "*plot": Sink.PLOT,
        **{f".{method}": Sink.PLOT for method in _PLOT_METHODS},
    }
)
_PREFIXES = tuple(k for k in DISPLAY_SINKS if k.endswith(".") and not k.startswith("."))
# Functions and methods whose result summarises values: printed, it is a result (an estimate).
STATISTICS = frozenset(
    {
        "mean",
        "average",
        "nanmean",
        "sum",
        "nansum",
        "prod",
        "std",
        "nanstd",
        "var",
        "nanvar",
        "median",
        "nanmedian",
        "percentile",
        "nanpercentile",
        "quantile",
        "nanquantile",
        "cov",
        "corrcoef",
        "corr",
        "describe",
        "sem",
        "skew",
        "kurt",
        "kurtosis",
        "count_nonzero",
        "bincount",
        "histogram",
        "value_counts",
        "ttest_ind",
        "ttest_rel",
        "ttest_1samp",
        "pearsonr",
        "spearmanr",
        "kendalltau",
        "linregress",
        "ks_2samp",
        "kstest",
        "chisquare",
        "chi2_contingency",
        "mannwhitneyu",
        "wilcoxon",
        "f_oneway",
    }
)

# Functions whose result is computed from their arguments and nothing else is changed:
# a random value is followed through them. Any other call that receives one counts as a use.
PURE_BUILTINS = frozenset(
    {
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "divmod",
        "enumerate",
        "filter",
        "float",
        "format",
        "frozenset",
        "int",
        "iter",
        "len",
        "list",
        "map",
        "max",
        "min",
        "pow",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
    }
)
# Libraries whose module functions compute values (`np.cov`, `pd.DataFrame`, `stats.norm.pdf`),
# except their writers (below) and the NumPy functions that fill an argument in place.
PURE_LIBRARIES = frozenset(
    {
        "numpy",
        "pandas",
        "scipy",
        "xarray",
        "math",
        "cmath",
        "statistics",
        "itertools",
        "operator",
        "collections",
        "copy",
    }
)
# Calls that keep or save what they are given: a random value reaching one is used.
FIT_METHODS = frozenset(
    {
        "fit",
        "fit_transform",
        "fit_predict",
        "partial_fit",
        "fit_resample",
        "fit_generator",
        "train",
        "train_on_batch",
    }
)
# Methods of a fitted model that compute from their arguments and leave the model as it was
# (scikit-learn's and Keras' inference API): `model.predict(X)` gives values, like `np.dot`.
INFERENCE_METHODS = frozenset(
    {
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
        "inverse_transform",
        "score",
        "score_samples",
        "kneighbors",
    }
)
_WRITERS = frozenset(
    {
        "to_csv",
        "to_excel",
        "to_json",
        "to_parquet",
        "to_pickle",
        "to_sql",
        "to_hdf",
        "to_feather",
        "to_stata",
        "to_orc",
        "to_clipboard",
        "to_netcdf",
        "to_zarr",
        "tofile",
    }
)
_WRITER_PREFIXES = ("save", "dump", "write", "export")
# Draws that shuffle their argument in place and return None (`random.shuffle(x)`, `rng.shuffle(x)`).
IN_PLACE_DRAWS = frozenset({"shuffle"})


def is_writer(name: str) -> bool:
    return name in _WRITERS or name.startswith(_WRITER_PREFIXES)


def library_sink(qualified: str) -> Sink | None:
    """The sink a library function (`matplotlib.pyplot.hist`) is, by DISPLAY_SINKS."""
    if qualified in DISPLAY_SINKS:
        return DISPLAY_SINKS[qualified]
    if qualified.startswith("networkx.draw"):
        return Sink.PLOT
    name = qualified.rpartition(".")[2]
    if any(word.lower().startswith("plot") for word in name.split("_")):
        return DISPLAY_SINKS["*plot"]
    prefix = next((p for p in _PREFIXES if qualified.startswith(p)), None)
    return None if prefix is None else DISPLAY_SINKS[prefix]


# --- the cells' statements, parsed again for the few cells NB109 needs


class CellTrees:
    """The statements of each code cell, parsed on first request (IPython syntax translated)."""

    def __init__(self, sources: Sequence[str | None]) -> None:
        self._sources = sources
        self._trees: dict[int, tuple[ast.stmt, ...] | None] = {}

    def get(self, index: int) -> tuple[ast.stmt, ...] | None:
        """The cell's statements, or None when it is no code cell or does not parse."""
        if index not in self._trees:
            source = self._sources[index]
            self._trees[index] = None if source is None else _parse(source)
        return self._trees[index]


# Whole lines of IPython that run no Python of the notebook: setup magics and shell commands.
# Dropping them (the line stays, empty) spares IPython's transformer, which costs more than
# the rest of NB109 together on a cell like `%matplotlib inline` + 200 lines of code.
_SETUP_LINES = re.compile(
    r"^[ \t]*(?:%(?:matplotlib|config|load_ext|reload_ext|autoreload|pylab|pip|conda)\b|!)"
    r".*$",
    re.M,
)


def _parse(source: str) -> tuple[ast.stmt, ...] | None:
    codes: list[str | None] = [source]  # None: IPython's own translation
    if may_have_ipython_syntax(source):
        quick = _SETUP_LINES.sub("", source)
        codes = [quick, None] if not may_have_ipython_syntax(quick) else [None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        for code in codes:
            try:
                return tuple(ast.parse(translate(source) if code is None else code).body)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
    return None


def cell_trees(analysis: Analysis) -> CellTrees:
    return CellTrees([c.source if c.is_code else None for c in analysis.notebook.cells])


# numpy.random constructors that take their seed (or entropy) as first argument: without one,
# the generator is seeded from the operating system, and `np.random.seed` does not reach it.
NUMPY_GENERATORS = frozenset(
    {
        "default_rng",
        "RandomState",
        "PCG64",
        "PCG64DXSM",
        "MT19937",
        "Philox",
        "SFC64",
        "SeedSequence",
    }
)
# The parameters of pandas' `DataFrame.sample` / `Series.sample` / `GroupBy.sample`.
PANDAS_SAMPLE_PARAMS = frozenset(
    {"n", "frac", "replace", "weights", "random_state", "axis", "ignore_index"}
)


class Origin(Enum):
    """What made the object a `.sample(...)` is called on."""

    PANDAS = "pandas"
    OTHER = "other"  # a module, or an object of another library or of a notebook class
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SampleCall:
    """An unseeded `X.sample(...)` taken for pandas' (see `pandas_samples`)."""

    name: str  # `df.sample`, or `(...).sample` when the receiver is an expression
    line: int
    column: int


def pandas_samples(
    analysis: Analysis, trees: CellTrees, aliases: Mapping[str, str], index: int
) -> tuple[SampleCall, ...]:
    """The calls in cell `index` that are pandas' `.sample(...)` without `random_state`.

    A call `X.sample(...)` is taken for pandas' when pandas is imported in the notebook
    (the caller checks), its arguments fit pandas' signature (keywords among
    PANDAS_SAMPLE_PARAMS, at most one positional, no `**kwargs`), `random_state` is missing,
    and `X` either is known to come from pandas (`pd.read_csv(...)`, a subscript or method
    of such a name, followed back through the assignments that bound it), or is of unknown
    origin and the call passes `n=` or `frac=` by name. A module (`random.sample`,
    `pm.sample`) or an object made by another library or a class of the notebook
    (`GaussianMixture(...).sample(5)`, `mcmc.sample(10000)`, `tfd.Normal(...).sample()`)
    never counts.
    """
    statements = trees.get(index)
    if statements is None:
        return ()
    found: list[SampleCall] = []
    origins = _Origins(analysis, trees, aliases)
    for stmt in statements:
        for node in ast.walk(stmt):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "sample"
            ):
                continue
            keywords = {
                k.arg
                for k in node.keywords
                if not (isinstance(k.value, ast.Constant) and k.value.value is None)
            }
            if (
                None in keywords
                or not keywords <= PANDAS_SAMPLE_PARAMS
                or "random_state" in keywords
                or len(node.args) > 1
            ):
                continue
            origin = origins.of(node.func.value, index, node.lineno)
            if origin is Origin.OTHER or (
                origin is Origin.UNKNOWN and not keywords & {"n", "frac"}
            ):
                continue
            name = dotted_name(node.func, opaque="(...)") or "(...).sample"
            found.append(SampleCall(name, node.lineno, node.col_offset + 1))
    return tuple(found)


class _Origins:
    """Follow an expression back through the assignments of the notebook to what made it."""

    _DEPTH = 6

    def __init__(self, analysis: Analysis, trees: CellTrees, aliases: Mapping[str, str]) -> None:
        self.analysis = analysis
        self.trees = trees
        self.aliases = dict(aliases)

    def of(self, node: ast.expr, index: int, line: int, depth: int = 0) -> Origin:
        if depth > self._DEPTH:
            return Origin.UNKNOWN
        while isinstance(node, (ast.Subscript, ast.Attribute)):
            node = node.value  # df['a'], df.loc[...], df.a: the same kind of object
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return Origin.OTHER  # a module or an imported function
            bound = self._binding(node.id, index, line)
            if bound is None:
                return Origin.UNKNOWN
            value, cell, at = bound
            return self.of(value, cell, at, depth + 1)
        if not isinstance(node, ast.Call):
            return Origin.UNKNOWN
        func = node.func
        name = dotted_name(func)
        qualified = qualify(self.aliases, name) if name is not None else None
        if qualified is not None:
            return Origin.PANDAS if qualified.split(".")[0] == "pandas" else Origin.OTHER
        if isinstance(func, ast.Attribute):
            return self.of(func.value, index, line, depth + 1)  # a method's result
        if isinstance(func, ast.Name) and self._is_class(func.id):
            return Origin.OTHER
        return Origin.UNKNOWN

    def _binding(self, name: str, index: int, line: int) -> tuple[ast.expr, int, int] | None:
        """The value last assigned to `name` before `line` of cell `index` (same cell or above)."""
        cells = [c for c in self.analysis.definers.get(name, ()) if c <= index]
        for cell in reversed(cells):
            statements = self.trees.get(cell)
            if statements is None:
                return None
            last: tuple[ast.expr, int, int] | None = None
            seen = False
            for stmt in _module_statements(statements):
                if cell == index and stmt.lineno >= line:
                    break
                value = _assigned(stmt, name)
                if value is not None:
                    last, seen = (value, cell, stmt.lineno), True
                elif _binds_otherwise(stmt, name):
                    last, seen = None, True
            if seen:
                return last
        return None

    def _is_class(self, name: str) -> bool:
        for cell in self.analysis.definers.get(name, ()):
            statements = self.trees.get(cell)
            if statements is not None and any(
                isinstance(s, ast.ClassDef) and s.name == name for s in statements
            ):
                return True
        return False


def _module_statements(statements: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements in order, inside if/for/while/with/try bodies too."""
    for stmt in statements:
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field_name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field_name, None)
            if isinstance(inner, list):
                yield from _module_statements(s for s in inner if isinstance(s, ast.stmt))
        for handler in getattr(stmt, "handlers", ()):
            yield from _module_statements(handler.body)


def _assigned(stmt: ast.stmt, name: str) -> ast.expr | None:
    """The value `stmt` assigns to the plain name `name`, if it does."""
    if isinstance(stmt, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == name for t in stmt.targets
    ):
        return stmt.value
    if (
        isinstance(stmt, ast.AnnAssign)
        and isinstance(stmt.target, ast.Name)
        and stmt.target.id == name
    ):
        return stmt.value
    return None


def _binds_otherwise(stmt: ast.stmt, name: str) -> bool:
    """`stmt` binds `name` some other way: a loop, `with`, unpacking, `+=`, def, class or import."""
    targets: list[ast.expr] = []
    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.AugAssign)):
        targets = [stmt.target]
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        targets = [i.optional_vars for i in stmt.items if i.optional_vars is not None]
    elif isinstance(stmt, ast.Assign):
        targets = [t for t in stmt.targets if not isinstance(t, ast.Name)]
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return stmt.name == name
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return any((a.asname or a.name.split(".")[0]) == name for a in stmt.names)
    return any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
        for t in targets
        for n in ast.walk(t)
    )
