"""What the generated package's `artifact.py` needs to know at convert time.

The artifact module (templates/artifact.py.j2) saves the fitted objects with skops and loads
them back refusing any type outside a trust list. That list is written into the generated code
here, from the objects the notebook really fitted (captured during verification) or, when none
were captured, from the estimator classes the notebook constructs. It is never read from an
artifact: a file cannot vouch for itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from nb2prod.analysis.imports import carry_modules, qualify
from nb2prod.analysis.statements import Statement

# The walk over a captured object stops after this many values: a fitted model with a million
# trees is described by its first ones (they all hold the same types).
_MAX_VALUES = 200_000
# Types skops constructs without being told (its defaults): listing them would only add noise.
_PLAIN = frozenset(
    {
        "builtins.NoneType",
        "builtins.bool",
        "builtins.int",
        "builtins.float",
        "builtins.str",
        "builtins.list",
        "builtins.tuple",
        "builtins.dict",
        "builtins.set",
        "numpy.ndarray",
    }
)
# Names that can run code or reach the system when constructed or called: no fitted model needs
# them, so they are never put on a trust list, whatever an object seems to hold.
_NEVER_TRUSTED = (
    "builtins.eval",
    "builtins.exec",
    "builtins.compile",
    "builtins.open",
    "builtins.getattr",
    "builtins.setattr",
    "builtins.delattr",
    "builtins.__import__",
    "builtins.breakpoint",
    "builtins.input",
    "operator.attrgetter",
    "operator.methodcaller",
    "os.",
    "posix.",
    "nt.",
    "sys.",
    "subprocess.",
    "importlib.",
    "runpy.",
    "pickle.",
    "_pickle.",
    "marshal.",
    "ctypes.",
    "shutil.",
    "socket.",
    "code.",
    "pty.",
)
# Libraries whose classes a notebook constructs to fit: the roots the import fallback keeps.
MODEL_LIBRARIES = frozenset(
    {"sklearn", "xgboost", "lightgbm", "catboost", "imblearn", "statsmodels", "category_encoders"}
)
# Types a fitted instance holds that skops does not trust by default, per scikit-learn class,
# for the import fallback (no captured object to walk). Measured with skops 0.16 and
# scikit-learn 1.9.1 on default parameters; other parameters may hold others (a BallTree, a
# custom kernel), which is why captured objects are preferred.
HELD_TYPES: Mapping[str, tuple[str, ...]] = {
    **dict.fromkeys(
        (
            "AdaBoostClassifier",
            "AdaBoostRegressor",
            "BaggingClassifier",
            "BaggingRegressor",
            "DecisionTreeClassifier",
            "DecisionTreeRegressor",
            "ExtraTreeClassifier",
            "ExtraTreeRegressor",
            "ExtraTreesClassifier",
            "ExtraTreesRegressor",
            "GradientBoostingClassifier",
            "GradientBoostingRegressor",
            "IsolationForest",
            "RandomForestClassifier",
            "RandomForestRegressor",
            "RandomTreesEmbedding",
        ),
        ("sklearn.tree._tree.Tree",),
    ),
    **dict.fromkeys(
        ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor"),
        ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",),
    ),
    **dict.fromkeys(
        (
            "KNeighborsClassifier",
            "KNeighborsRegressor",
            "KNeighborsTransformer",
            "RadiusNeighborsClassifier",
            "RadiusNeighborsRegressor",
            "RadiusNeighborsTransformer",
            "NearestNeighbors",
        ),
        (
            "sklearn.metrics._dist_metrics.EuclideanDistance64",
            "sklearn.neighbors._kd_tree.KDTree",
            "sklearn.neighbors._ball_tree.BallTree",
        ),
    ),
    **dict.fromkeys(
        ("MLPClassifier", "MLPRegressor"),
        (
            "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
            "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        ),
    ),
    "CalibratedClassifierCV": (
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
    ),
    **dict.fromkeys(
        (
            "GenericUnivariateSelect",
            "SelectFdr",
            "SelectFpr",
            "SelectFwe",
            "SelectKBest",
            "SelectPercentile",
        ),
        ("sklearn.feature_selection._univariate_selection.f_classif",),
    ),
    **dict.fromkeys(("KBinsDiscretizer", "SimpleImputer"), ("numpy.dtype",)),
    # a search keeps its scorer and its splitter (StratifiedKFold for a classifier, else KFold)
    **dict.fromkeys(
        (
            "GridSearchCV",
            "RandomizedSearchCV",
            "HalvingGridSearchCV",
            "HalvingRandomSearchCV",
        ),
        (
            "sklearn.metrics._scorer._PassthroughScorer",
            "sklearn.model_selection._split.KFold",
            "sklearn.model_selection._split.StratifiedKFold",
        ),
    ),
    # a Gaussian process's kernel: arithmetic on kernels (`1 * RBF()`) builds Product, Sum,
    # Exponentiation and ConstantKernel objects the notebook never names; the default kernel
    # is ConstantKernel * RBF; a classifier keeps one binary model per class pair
    **{
        name: (
            "sklearn.gaussian_process.kernels.ConstantKernel",
            "sklearn.gaussian_process.kernels.Exponentiation",
            "sklearn.gaussian_process.kernels.Product",
            "sklearn.gaussian_process.kernels.RBF",
            "sklearn.gaussian_process.kernels.Sum",
            *extra,
        )
        for name, extra in (
            ("GaussianProcessRegressor", ()),
            (
                "GaussianProcessClassifier",
                ("sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",),
            ),
        )
    },
    # ensembles of named estimators keep them in a Bunch (`named_estimators_`)
    **dict.fromkeys(
        ("StackingClassifier", "StackingRegressor", "VotingClassifier", "VotingRegressor"),
        ("sklearn.utils._bunch.Bunch",),
    ),
}


class TrustSource(StrEnum):
    """Where a trust list came from: the report says how much it can be relied on."""

    CAPTURED = "captured"  # the types the fitted objects really hold
    IMPORTS = "imports"  # the classes the notebook constructs (+ what they hold by default)


@dataclass(frozen=True, slots=True)
class TrustList:
    """The types the generated `load()` lets skops construct, beyond skops' own defaults."""

    types: tuple[str, ...]  # sorted, unique, "module.Name" as skops names them
    source: TrustSource


@dataclass(frozen=True, slots=True)
class ArtifactContext:
    """The values templates/artifact.py.j2 is filled with."""

    package: str
    notebook_name: str
    notebook_sha256: str
    trusted_types: tuple[str, ...]
    trust_source: TrustSource
    distributions: tuple[str, ...]  # the distributions the package imports, recorded and checked

    def values(self) -> dict[str, object]:
        """Keyword arguments for `render_template("artifact.py.j2", ...)`."""
        return {
            "package": self.package,
            "notebook_name": self.notebook_name,
            "notebook_sha256": self.notebook_sha256,
            "trusted_types": self.trusted_types,
            "trust_source": self.trust_source.value,
            "distributions": self.distributions,
        }


def artifact_context(
    *,
    package: str,
    notebook_name: str,
    notebook_source: bytes,
    trust: TrustList,
    distributions: Iterable[str],
) -> ArtifactContext:
    """The template context: the trust list, the notebook's hash and the checked distributions."""
    # skops is what writes and reads the artifact: its version is recorded and checked too
    checked = sorted({*distributions, "skops"}, key=str.lower)
    return ArtifactContext(
        package=package,
        notebook_name=notebook_name,
        notebook_sha256=hashlib.sha256(notebook_source).hexdigest(),
        trusted_types=trust.types,
        trust_source=trust.source,
        distributions=tuple(checked),
    )


def trust_list(fitted: Sequence[object] | None, statements: Sequence[Statement]) -> TrustList:
    """The trust list from the captured fitted objects, or from the notebook's code without them."""
    if fitted:
        return TrustList(_trustworthy(held_types(fitted)), TrustSource.CAPTURED)
    return TrustList(_trustworthy(constructed_types(statements)), TrustSource.IMPORTS)


def _trustworthy(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(n for n in names if not n.startswith(_NEVER_TRUSTED))


def held_types(values: Iterable[object]) -> tuple[str, ...]:
    """Every class (and function) the values hold, nested estimators and their state included.

    Follows what pickling (and skops) follows: an object's state from `__reduce_ex__`, the items
    of containers, the elements of object arrays. Names are `module.Name`, as skops writes them.
    """
    found: set[str] = set()
    # id -> value: holding the value keeps a reduction's temporary state alive, so its id is
    # never reused by another while the walk runs
    seen: dict[int, object] = {}
    stack = list(values)
    while stack and len(seen) < _MAX_VALUES:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen[id(value)] = value
        name = _type_name(value)
        if name not in _PLAIN:
            found.add(name)
        stack.extend(_children(value))
    return tuple(sorted(found))


def constructed_types(statements: Sequence[Statement]) -> tuple[str, ...]:
    """The classes of model libraries the notebook calls (constructs), as imported, with the
    types their fitted instances hold by default (HELD_TYPES)."""
    modules: dict[str, str] = {}
    found: set[str] = set()
    for st in statements:
        for call in st.symbols.calls:
            name = qualify(modules, call.name)
            if name is None or name.split(".")[0] not in MODEL_LIBRARIES:
                continue
            last = name.rsplit(".", 1)[-1]
            if last[:1].isupper():  # a class: CapWords by convention in every library above
                found.add(name)
                found.update(HELD_TYPES.get(last, ()) if name.startswith("sklearn.") else ())
        carry_modules(modules, st.symbols)
    return tuple(sorted(found))


def _type_name(value: object) -> str:
    """The name skops gives the value's type; functions and classes are named themselves."""
    kind = type(value)
    if isinstance(value, type) or _is_function(kind):
        module = getattr(value, "__module__", None) or "builtins"
        return f"{module}.{getattr(value, '__name__', '')}"
    if any(f"{base.__module__}.{base.__name__}" == "numpy.dtype" for base in kind.__mro__):
        return "numpy.dtype"  # numpy's per-dtype classes (Float64DType) are saved as numpy.dtype
    return f"{kind.__module__}.{kind.__name__}"


# Function types, saved by name: Python's, C's, numpy's ufuncs and array-function wrappers.
_FUNCTIONS = frozenset(
    {"function", "builtin_function_or_method", "ufunc", "_ArrayFunctionDispatcher"}
)


def _is_function(kind: type) -> bool:
    return kind.__name__ in _FUNCTIONS


def _children(value: object) -> Iterator[object]:
    """The values pickling would store for `value` (never running more than its reduction)."""
    if isinstance(value, (str, bytes, bytearray, int, float, complex, type)) or _is_function(
        type(value)
    ):
        return iter(())
    if isinstance(value, dict):
        return iter([*value.keys(), *value.values()])
    if isinstance(value, (list, tuple, set, frozenset)):
        return iter(value)
    if _type_name(value) == "numpy.ndarray":
        tolist = getattr(value, "tolist", None)  # nested lists of the elements
        if getattr(getattr(value, "dtype", None), "hasobject", False) and callable(tolist):
            return iter([tolist()])
        return iter(())
    try:
        reduced = value.__reduce_ex__(4)
    except Exception:  # not picklable: skops cannot save it either, dump will say so
        return iter(())
    if isinstance(reduced, str):  # a global, saved by name
        return iter(())
    parts: list[object] = list(reduced[1:3])  # args, state (the callable is the type, named above)
    for items in reduced[3:5]:  # list items, dict items: iterators
        if items is not None:
            parts.extend(items)
    return iter(parts)
