"""compare(): one verdict per type family, readable details, tolerances at their edge, never raises."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from nb2prod.verify.compare import MAX_DEPTH, Comparison, Tolerances, compare
from nb2prod.verify.compare import core as compare_module

TOL = Tolerances()


@dataclasses.dataclass
class Point:
    x: float
    label: str


class Plain:
    """Identity equality only: compared by its state."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


class EqRaises:
    def __init__(self, v: object) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no equality here")

    __hash__ = object.__hash__


class EqRaisesNoState:
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no equality here")

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("cannot pickle this")

    __hash__ = object.__hash__


class Hostile:
    """Every attribute access fails with a non-AttributeError."""

    def __getattr__(self, name: str) -> Any:
        raise ValueError(f"no {name}")


class FakeResults:
    """A statsmodels-like results object: params, bse and a model."""

    def __init__(self, params: Any, bse: Any, model: object) -> None:
        self.params, self.bse, self.model = params, bse, model


class OLSLike:
    pass


def in_main(func: Callable[..., Any]) -> Callable[..., Any]:
    """A function as the notebook defines it: in `__main__`, under a plain name."""
    func.__module__, func.__qualname__ = "__main__", "helper"
    return func


def nested_function() -> Callable[[int], int]:
    def inner(x: int) -> int:
        return x

    return inner


def frame(**changes: Any) -> pd.DataFrame:
    data: dict[str, Any] = {
        "id": [1, 2, 3, 4],
        "score": [0.5, 0.25, 0.125, 1.0],
        "name": ["a", "b", "c", "d"],
    }
    data.update(changes)
    return pd.DataFrame(data, index=pd.Index([10, 11, 12, 13], name="row"))


def both(make: Callable[[], object]) -> Callable[[], tuple[object, object]]:
    """Two separately built, equal values."""
    return lambda: (make(), make())


def just(rel: float) -> float:
    """1.0 moved by `rel` relative to the default rtol."""
    return 1.0 + TOL.rtol * rel


# (id, factory returning (expected, actual), verdict, substrings the detail must contain)
Case = tuple[str, Callable[[], tuple[object, object]], str, tuple[str, ...]]
CASES: list[Case] = [
    # scalars
    ("int-equal", lambda: (3, 3), "equal", ()),
    ("int-differs", lambda: (3, 4), "differs", ("3 vs 4",)),
    ("int-numpy-int", lambda: (3, np.int64(3)), "equal", ()),
    ("int-exact-beyond-rtol", lambda: (100000, 100001), "differs", ("100000 vs 100001",)),
    ("int-vs-float", lambda: (3, 3.0), "differs", ("int", "float")),
    ("bool-vs-int", lambda: (True, 1), "differs", ("bool", "int")),
    ("bool-numpy", lambda: (True, np.bool_(True)), "equal", ()),
    ("float-equal", lambda: (0.1 + 0.2, 0.3), "equal", ()),
    ("float-just-inside-rtol", lambda: (1.0, just(0.9)), "equal", ()),
    ("float-just-outside-rtol", lambda: (1.0, just(1.1)), "differs", ("beyond rtol=1e-05",)),
    ("float-atol-near-zero-inside", lambda: (0.0, TOL.atol * 0.9), "equal", ()),
    ("float-atol-near-zero-outside", lambda: (0.0, TOL.atol * 1.1), "differs", ("0.0 vs",)),
    ("float-numpy-float32", lambda: (np.float32(0.1), 0.1), "equal", ()),
    ("nan-nan", lambda: (math.nan, np.nan), "equal", ()),
    ("nan-number", lambda: (math.nan, 1.0), "differs", ("nan vs 1.0",)),
    ("inf-inf", lambda: (math.inf, math.inf), "equal", ()),
    ("inf-minus-inf", lambda: (math.inf, -math.inf), "differs", ("inf vs -inf",)),
    ("complex-equal", lambda: (1 + 2j, complex(1, 2 + 1e-9)), "equal", ()),
    ("complex-differs", lambda: (1 + 2j, 1 + 3j), "differs", ("(1+2j) vs (1+3j)",)),
    ("str-equal", lambda: ("abc", "abc"), "equal", ()),
    ("str-differs", lambda: ("approved", "approves"), "differs", ("position 7",)),
    ("str-numpy", lambda: ("x", np.str_("x")), "equal", ()),
    ("bytes-differs", lambda: (b"ab", b"ac"), "differs", ("position 1",)),
    ("none-none", lambda: (None, None), "equal", ()),
    ("none-zero", lambda: (None, 0), "differs", ("None vs 0",)),
    # containers
    ("list-equal", lambda: ([1, 2.0, "x"], [1, 2.0, "x"]), "equal", ()),
    ("list-item", lambda: ([1, 2, 3], [1, 5, 3]), "differs", ("[1]", "2 vs 5")),
    ("list-length", lambda: ([1, 2], [1, 2, 3]), "differs", ("length 2 vs 3", "only in actual: 3")),
    ("list-vs-tuple", lambda: ([1], (1,)), "differs", ("list", "tuple")),
    (
        "dict-path",
        lambda: ({"scores": [0.1, 0.2, 0.3, 0.4]}, {"scores": [0.1, 0.2, 0.3, 0.9]}),
        "differs",
        ("['scores'][3]", "0.4 vs 0.9"),
    ),
    (
        "dict-missing-key",
        lambda: ({"a": 1, "b": 2}, {"a": 1, "c": 2}),
        "differs",
        ("missing from actual: 'b'", "only in actual: 'c'"),
    ),
    ("dict-order-ignored", lambda: ({"a": 1, "b": 2}, {"b": 2, "a": 1}), "equal", ()),
    ("dict-nested-nan", lambda: ({"m": [math.nan]}, {"m": [math.nan]}), "equal", ()),
    ("set-equal", lambda: ({1, 2}, {2, 1}), "equal", ()),
    (
        "set-differs",
        lambda: ({1, 2}, {1, 3}),
        "differs",
        ("missing from actual: 2", "only in actual: 3"),
    ),
    ("tuple-nested-tolerance", lambda: ((1, (0.5,)), (1, (0.5 + 1e-9,))), "equal", ()),
    ("dict-values-view", lambda: ({"a": 1}.values(), {"a": 1}.values()), "equal", ()),
    ("dataclass-equal", lambda: (Point(0.5, "p"), Point(0.5 + 1e-12, "p")), "equal", ()),
    ("dataclass-field", lambda: (Point(0.5, "p"), Point(0.5, "q")), "differs", (".label",)),
    ("plain-object-state", lambda: (Plain(a=1, b=[1.0]), Plain(a=1, b=[1.0])), "equal", ()),
    (
        "plain-object-differs",
        lambda: (Plain(a=1, b=[1.0]), Plain(a=1, b=[2.0])),
        "differs",
        (".b[0]",),
    ),
    ("class-objects", lambda: (int, int), "equal", ()),
    ("class-objects-differ", lambda: (int, float), "differs", ("int", "float")),
    # numpy
    (
        "array-equal",
        lambda: (np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3)),
        "equal",
        (),
    ),
    ("array-inside-rtol", lambda: (np.ones(3), np.full(3, just(0.9))), "equal", ()),
    (
        "array-outside-rtol",
        lambda: (np.ones(3), np.full(3, just(1.1))),
        "differs",
        ("3 of 3 elements",),
    ),
    (
        "array-indices",
        lambda: (np.zeros((2, 3)), np.array([[0, 0, 0], [0, 0, 7.0]])),
        "differs",
        ("1 of 6 elements", "[1, 2]: 0.0 vs 7.0", "max abs diff 7"),
    ),
    ("array-nan", lambda: (np.array([1.0, np.nan]), np.array([1.0, np.nan])), "equal", ()),
    (
        "array-nan-vs-number",
        lambda: (np.array([1.0, np.nan]), np.array([1.0, 2.0])),
        "differs",
        ("[1]",),
    ),
    (
        "array-shape",
        lambda: (np.zeros((2, 3)), np.zeros((3, 2))),
        "differs",
        ("shape (2, 3) vs (3, 2)",),
    ),
    (
        "array-dtype",
        lambda: (np.array([1, 2]), np.array([1.0, 2.0])),
        "differs",
        ("dtype int64 vs float64",),
    ),
    (
        "array-int-exact",
        lambda: (np.array([100000]), np.array([100001])),
        "differs",
        ("100000 vs 100001",),
    ),
    ("array-str", lambda: (np.array(["a", "b"]), np.array(["a", "c"])), "differs", ("'b' vs 'c'",)),
    (
        "array-object",
        lambda: (
            np.array([{"k": 1.0}, "x"], dtype=object),
            np.array([{"k": 2.0}, "x"], dtype=object),
        ),
        "differs",
        ("[0]['k']",),
    ),
    (
        "array-datetime-nat",
        both(lambda: np.array(["2024-01-01", "NaT"], dtype="M8[D]")),
        "equal",
        (),
    ),
    ("array-vs-list", lambda: (np.array([1]), [1]), "differs", ("ndarray", "list")),
    # pandas
    ("frame-equal", lambda: (frame(), frame()), "equal", ()),
    (
        "frame-inside-rtol",
        lambda: (frame(), frame(score=[0.5 * just(0.9), 0.25, 0.125, 1.0])),
        "equal",
        (),
    ),
    (
        "frame-value",
        lambda: (frame(), frame(score=[0.5, 0.25, 0.75, 1.0])),
        "differs",
        ("1 of 4 rows differ", "'score'", "12", "0.125", "0.75"),
    ),
    (
        "frame-outside-rtol",
        lambda: (frame(), frame(score=[0.5 * just(1.1), 0.25, 0.125, 1.0])),
        "differs",
        ("'score'", "10"),
    ),
    (
        "frame-int-exact",
        lambda: (frame(id=[1, 2, 3, 100000]), frame(id=[1, 2, 3, 100001])),
        "differs",
        ("'id'", "100000", "100001"),
    ),
    (
        "frame-string",
        lambda: (frame(), frame(name=["a", "b", "c", "z"])),
        "differs",
        ("'name'", "13"),
    ),
    (
        "frame-nan",
        lambda: (frame(score=[np.nan, 1, 2, 3.0]), frame(score=[np.nan, 1, 2, 3.0])),
        "equal",
        (),
    ),
    (
        "frame-nan-vs-value",
        lambda: (frame(score=[np.nan, 1, 2, 3.0]), frame(score=[0.0, 1, 2, 3.0])),
        "differs",
        ("'score'", "10"),
    ),
    (
        "frame-missing-column",
        lambda: (frame(), frame().drop(columns="name")),
        "differs",
        ("shape (4, 3) vs (4, 2)", "columns missing from actual: ['name']"),
    ),
    (
        "frame-renamed-column",
        lambda: (frame(), frame().rename(columns={"score": "prob"})),
        "differs",
        ("missing from actual: ['score']", "only in actual: ['prob']"),
    ),
    (
        "frame-column-order",
        lambda: (frame(), frame()[["score", "id", "name"]]),
        "differs",
        ("column order",),
    ),
    ("frame-rows", lambda: (frame(), frame().iloc[:3]), "differs", ("shape (4, 3) vs (3, 3)",)),
    (
        "frame-index",
        lambda: (frame(), frame().set_axis([10, 11, 12, 99])),
        "differs",
        ("index differs at position 3: 13 vs 99",),
    ),
    ("frame-index-name", lambda: (frame(), frame().rename_axis("other")), "differs", ("names",)),
    (
        "frame-dtype",
        lambda: (frame(), frame().astype({"id": "float64"})),
        "differs",
        ("'id': int64 vs float64",),
    ),
    ("frame-vs-series", lambda: (frame(), frame()["score"]), "differs", ("DataFrame", "Series")),
    ("series-equal", lambda: (frame()["score"], frame()["score"].copy()), "equal", ()),
    (
        "series-value",
        lambda: (frame()["score"], frame(score=[0.5, 0.3, 0.125, 1.0])["score"]),
        "differs",
        ("'score'", "11", "0.25", "0.3"),
    ),
    (
        "series-name",
        lambda: (pd.Series([1], name="a"), pd.Series([1], name="b")),
        "differs",
        ("name 'a' vs 'b'",),
    ),
    ("series-nullable-int", both(lambda: pd.Series([1, None], dtype="Int64")), "equal", ()),
    (
        "series-categorical",
        lambda: (pd.Series(["a", "b"], dtype="category"), pd.Series(["a", "c"], dtype="category")),
        "differs",
        ("categories ['a', 'b'] vs ['a', 'c']",),
    ),
    ("index-equal", lambda: (pd.RangeIndex(3), pd.Index([0, 1, 2])), "equal", ()),
    (
        "index-differs",
        lambda: (pd.Index(["a", "b"]), pd.Index(["a", "c"])),
        "differs",
        ("position 1: 'b' vs 'c'",),
    ),
    (
        "frame-in-dict",
        lambda: ({"features": frame()}, {"features": frame(id=[1, 2, 3, 5])}),
        "differs",
        ("['features']", "'id'"),
    ),
    # opaque values
    ("generator", both(lambda: (i for i in range(2))), "uncomparable", ("generator", "iterator")),
    ("lambda", lambda: (lambda: 1, lambda: 1), "uncomparable", ("function",)),
    (
        "notebook-function",
        lambda: (in_main(lambda x: x), in_main(lambda x: x)),
        "uncomparable",
        ("function",),
    ),
    ("nested-function", both(nested_function), "uncomparable", ("function",)),
    # library functions: the same named object in both runs
    ("builtin-function", lambda: (len, len), "equal", ("builtins.len",)),
    ("library-function", lambda: (math.sqrt, math.sqrt), "equal", ("math.sqrt",)),
    (
        "library-function-differs",
        lambda: (math.sqrt, math.exp),
        "differs",
        ("math.sqrt vs math.exp",),
    ),
    ("python-library-function", lambda: (json.dumps, json.dumps), "equal", ("json.dumps",)),
    ("library-vs-lambda", lambda: (math.sqrt, lambda x: x), "uncomparable", ("function",)),
    ("partial-equal", both(lambda: functools.partial(round, ndigits=2)), "equal", ()),
    (
        "partial-keyword-differs",
        lambda: (functools.partial(round, ndigits=2), functools.partial(round, ndigits=3)),
        "differs",
        (".keywords", "2 vs 3"),
    ),
    ("bound-method-equal", both(lambda: [1, 2].count), "equal", ("count",)),
    (
        "bound-method-owner-differs",
        lambda: ([1, 2].count, [1, 3].count),
        "differs",
        (".__self__", "2 vs 3"),
    ),
    ("module", lambda: (math, math), "uncomparable", ("module math",)),
    ("eq-raises-with-state", lambda: (EqRaises(1), EqRaises(1)), "equal", ()),
    ("eq-raises-state-differs", lambda: (EqRaises(1), EqRaises(2)), "differs", (".v",)),
    (
        "eq-raises-no-state",
        lambda: (EqRaisesNoState(), EqRaisesNoState()),
        "uncomparable",
        ("EqRaisesNoState",),
    ),
    ("hostile-getattr", lambda: (Hostile(), Hostile()), "uncomparable", ("ValueError",)),
    ("mock", both(mock.Mock), "uncomparable", ("Mock", "invents attributes")),
    (
        "frame-cell-uncomparable",
        both(lambda: pd.DataFrame({"f": [1, iter(())]})),
        "uncomparable",
        ("column 'f'", "iterator"),
    ),
    (
        "frame-difference-beside-uncomparable",
        lambda: (
            pd.DataFrame({"f": [iter(())], "g": [1]}),
            pd.DataFrame({"f": [iter(())], "g": [2]}),
        ),
        "differs",
        ("'g'",),
    ),
    (
        "numpy-generator-state",
        lambda: (np.random.default_rng(0), np.random.default_rng(1)),
        "differs",
        ("state",),
    ),
    ("numpy-generator-same", both(lambda: np.random.default_rng(0)), "equal", ()),
    ("uncomparable-inside-list", lambda: ([1, iter(())], [1, iter(())]), "uncomparable", ("[1]",)),
    (
        "difference-wins-over-uncomparable",
        lambda: ([iter(()), 1], [iter(()), 2]),
        "differs",
        ("[1]", "1 vs 2"),
    ),
    # statsmodels-like results (duck-typed; the real library is tested below)
    (
        "results-equal",
        lambda: (
            FakeResults(pd.Series({"x": 1.5}), pd.Series({"x": 0.1}), OLSLike()),
            FakeResults(pd.Series({"x": 1.5}), pd.Series({"x": 0.1}), OLSLike()),
        ),
        "equal",
        (),
    ),
    (
        "results-params",
        lambda: (
            FakeResults(pd.Series({"x": 1.5}), pd.Series({"x": 0.1}), OLSLike()),
            FakeResults(pd.Series({"x": 1.7}), pd.Series({"x": 0.1}), OLSLike()),
        ),
        "differs",
        (".params", "1.5", "1.7"),
    ),
    (
        "results-bse",
        lambda: (
            FakeResults(pd.Series({"x": 1.5}), pd.Series({"x": 0.1}), OLSLike()),
            FakeResults(pd.Series({"x": 1.5}), pd.Series({"x": 0.2}), OLSLike()),
        ),
        "differs",
        (".bse",),
    ),
]


@pytest.mark.parametrize(
    ("expected", "actual", "verdict", "needles"),
    [pytest.param(*make(), verdict, needles, id=name) for name, make, verdict, needles in CASES],
)
def test_compare(expected: object, actual: object, verdict: str, needles: tuple[str, ...]) -> None:
    result = compare(expected, actual)
    assert result.verdict == verdict, result.detail
    for needle in needles:
        assert needle in result.detail, f"{needle!r} not in {result.detail!r}"


def test_cases_cover_every_verdict() -> None:
    verdicts = {v for _, _, v, _ in CASES}
    assert verdicts == {"equal", "differs", "uncomparable"}


def test_max_abs_diff_reported_for_numbers() -> None:
    assert compare(1.0, 1.5).max_abs_diff == pytest.approx(0.5)
    assert compare(np.array([1.0, 2.0]), np.array([1.0, 2.25])).max_abs_diff == pytest.approx(0.25)
    result = compare(frame(), frame(score=[0.5, 0.25, 0.125, 3.0]))
    assert result.verdict == "differs" and result.max_abs_diff == pytest.approx(2.0)
    assert compare({"a": [1.0]}, {"a": [4.0]}).max_abs_diff == pytest.approx(3.0)
    assert compare("a", "b").max_abs_diff is None


def test_frame_detail_shows_at_most_five_rows_side_by_side() -> None:
    expected = pd.DataFrame({"v": np.arange(20.0)})
    actual = expected + 1.0
    result = compare(expected, actual)
    assert result.verdict == "differs"
    assert "20 of 20 rows differ in column 'v'; first 5:" in result.detail
    assert "expected" in result.detail and "actual" in result.detail
    body = result.detail.split("first 5:\n", 1)[1].splitlines()
    assert len(body) == 2 + 5  # two header lines, five rows
    assert body[-1].split() == ["4", "4.0", "5.0"]


def test_custom_tolerances() -> None:
    loose = Tolerances(rtol=0.1, atol=0.0)
    assert compare(1.0, 1.09, loose).verdict == "equal"
    assert compare(1.0, 1.12, loose).verdict == "differs"  # |d| <= rtol * max(|a|, |b|): 0.112
    assert compare(np.array([1.0]), np.array([1.09]), loose).verdict == "equal"
    assert compare(frame(), frame(score=[0.54, 0.25, 0.125, 1.0]), loose).verdict == "equal"
    lenient_dtype = Tolerances(check_dtype=False)
    assert compare(frame(), frame().astype({"id": "float64"}), lenient_dtype).verdict == "equal"
    assert compare(np.array([1, 2]), np.array([1.0, 2.0]), lenient_dtype).verdict == "equal"


def test_tolerances_are_validated_and_frozen() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        Tolerances(rtol=-1.0)
    with pytest.raises(ValueError):
        Tolerances(atol=math.nan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        TOL.rtol = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Comparison("equal", "").verdict = "differs"  # type: ignore[misc]


def test_cycles_terminate() -> None:
    a: list[Any] = [1]
    a.append(a)
    b: list[Any] = [1]
    b.append(b)
    assert compare(a, b).verdict == "equal"
    c: list[Any] = [2]
    c.append(c)
    assert compare(a, c).verdict == "differs"


def test_deep_nesting_is_uncomparable_not_a_crash() -> None:
    deep: Any = 0
    for _ in range(MAX_DEPTH * 3):
        deep = [deep]
    result = compare(deep, deep)
    assert result.verdict == "uncomparable" and "deeper" in result.detail


def test_long_lists_of_scalars_compare_in_one_pass() -> None:
    ids = list(range(1_500_000))  # more items than MAX_VALUES visits
    changed = ids.copy()
    changed[-1] = -1
    assert compare(ids, list(ids)).verdict == "equal"
    result = compare(ids, changed)
    assert result.verdict == "differs" and "[1499999]: 1499999 vs -1" in result.detail
    scores = [i / 7 for i in range(1000)]
    assert compare(scores, [x * (1 + TOL.rtol / 2) for x in scores]).verdict == "equal"


def test_work_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compare_module, "MAX_VALUES", 50)
    nested = [[i] for i in range(100)]
    result = compare(nested, [[i] for i in range(100)])
    assert result.verdict == "uncomparable" and "more than 50 values" in result.detail
    early = compare([[0], *nested[1:]], [[1], *nested[1:]])
    assert early.verdict == "differs", "a difference found within the budget still counts"


def test_open_file_never_raises(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("x")
    with open(path) as one, open(path) as two:
        result = compare(one, two)
    assert result.verdict == "uncomparable" and "file" in result.detail


WEIRD: dict[str, Callable[[], object]] = {
    "object": object,
    "hostile-getattr": Hostile,
    "eq-raises": EqRaisesNoState,
    "iterator": lambda: iter([1]),
    "generator": lambda: (i for i in ()),
    "eq-returns-array": lambda: type("ArrayEq", (), {"__eq__": lambda s, o: np.array([1, 2])})(),
    "frame-of-lists": lambda: pd.DataFrame({"a": [[1, 2]]}),
    "object-array": lambda: np.array([None, object()]),
}


@pytest.mark.parametrize("make", WEIRD.values(), ids=WEIRD.keys())
def test_never_raises(make: Callable[[], object]) -> None:
    weird = make()
    for left, right in ((weird, weird), (weird, 1), (1, weird), ([weird], [weird])):
        result = compare(left, right)
        assert result.verdict in ("equal", "differs", "uncomparable")


# --- scikit-learn -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    return x, x @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.1, size=40)


def test_estimators(xy: tuple[np.ndarray, np.ndarray]) -> None:
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = xy
    assert compare(Ridge(alpha=1.0).fit(x, y), Ridge(alpha=1.0).fit(x, y)).verdict == "equal"
    assert compare(Ridge(alpha=1.0), Ridge(alpha=1.0)).verdict == "equal"

    param = compare(Ridge(alpha=1.0), Ridge(alpha=2.0))
    assert param.verdict == "differs" and ".alpha" in param.detail and "1.0 vs 2.0" in param.detail

    fitted = compare(Ridge().fit(x, y), Ridge().fit(x[:30], y[:30]))
    assert fitted.verdict == "differs" and ".coef_" in fitted.detail and fitted.max_abs_diff

    state = compare(Ridge().fit(x, y), Ridge())
    assert state.verdict == "differs" and "only in expected: coef_" in state.detail

    kind = compare(Ridge(), LinearRegression())
    assert (
        kind.verdict == "differs" and "Ridge" in kind.detail and "LinearRegression" in kind.detail
    )

    nested = compare(
        make_pipeline(StandardScaler(), Ridge(alpha=1.0)),
        make_pipeline(StandardScaler(), Ridge(alpha=3.0)),
    )
    assert nested.verdict == "differs" and ".steps[1][1].alpha" in nested.detail


def test_search_timings_are_not_compared_but_scores_are(xy: tuple[np.ndarray, np.ndarray]) -> None:
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV

    x, y = xy
    first = GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=3).fit(x, y)
    second = GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=3).fit(x, y)
    second.refit_time_ += 1.0  # another machine, another clock
    second.cv_results_["mean_fit_time"] = second.cv_results_["mean_fit_time"] + 1.0
    assert compare(first, second).verdict == "equal"

    second.cv_results_["mean_test_score"] = second.cv_results_["mean_test_score"] + 0.5
    scores = compare(first, second)
    assert scores.verdict == "differs" and "mean_test_score" in scores.detail


def test_tree_ensembles_compare_by_state(xy: tuple[np.ndarray, np.ndarray]) -> None:
    from sklearn.ensemble import RandomForestRegressor

    x, y = xy
    one = RandomForestRegressor(n_estimators=3, random_state=0).fit(x, y)
    same = RandomForestRegressor(n_estimators=3, random_state=0).fit(x, y)
    other = RandomForestRegressor(n_estimators=3, random_state=0).fit(x[:-5], y[:-5])
    assert compare(one, same).verdict == "equal"
    assert compare(one, other).verdict == "differs"


def test_statsmodels_results() -> None:
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    x = sm.add_constant(rng.normal(size=(50, 2)))
    y = x @ np.array([1.0, 2.0, -1.0]) + rng.normal(size=50)
    assert compare(sm.OLS(y, x).fit(), sm.OLS(y, x).fit()).verdict == "equal"
    result = compare(sm.OLS(y, x).fit(), sm.OLS(y * 1.5, x).fit())
    assert result.verdict == "differs" and ".params" in result.detail


# --- plots ------------------------------------------------------------------------------------


def test_figures_are_uncomparable() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        assert compare(fig, fig).verdict == "uncomparable"
        assert "Figure" in compare(fig, fig).detail
        result = compare(ax, ax)
        assert result.verdict == "uncomparable" and "Axes" in result.detail
    finally:
        plt.close(fig)


# --- library objects: public state only -------------------------------------------------------


def _template(text: str, cache: object) -> object:
    import string

    made = string.Template(text)
    vars(made)["_cache"] = cache  # a lazy cache, as libraries keep them
    return made


def test_library_objects_compare_by_public_state() -> None:
    assert compare(_template("a", 1), _template("a", 2)).verdict == "equal"
    result = compare(_template("a", 1), _template("b", 1))
    assert result.verdict == "differs" and ".template" in result.detail


def test_private_state_is_compared_only_when_there_is_no_public_state() -> None:
    assert compare(Plain(a=1, _weights=[1.0]), Plain(a=1, _weights=[2.0])).verdict == "equal"
    result = compare(Plain(_weights=[1.0]), Plain(_weights=[2.0]))
    assert result.verdict == "differs" and "._weights[0]" in result.detail
    assert "no public attributes" in result.detail
