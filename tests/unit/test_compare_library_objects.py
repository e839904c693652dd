"""Library objects compare by what they mean: registered parts, else public stored state.

Private attributes, lazy caches and scratch buffers never decide a verdict, so the same values
give the same verdict every time; a new library type is taught with `register(match, describe)`.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest

from nb2prod.verify.compare import PublicState, compare, register
from nb2prod.verify.compare import registry as registry_module

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry() -> Iterator[None]:
    """Registrations made by a test are undone after it."""
    saved = list(registry_module._COMPARERS)
    yield
    registry_module._COMPARERS[:] = saved


# --- statsmodels: results by their fit, models by their data and formula ------------------------


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"x": rng.normal(size=120), "z": rng.normal(size=120)})
    frame["y"] = (frame["x"] + rng.normal(size=120) > 0).astype(int)
    frame["w"] = frame["x"] * 2 + frame["z"] + rng.normal(size=120)
    return frame


def _glm(formula: str = "y ~ x + z", link: Any = None) -> Any:
    sm = pytest.importorskip("statsmodels.api")
    smf = pytest.importorskip("statsmodels.formula.api")
    family = sm.families.Binomial() if link is None else sm.families.Binomial(link=link)
    return smf.glm(formula, data=_frame(), family=family).fit()


def _ols_model(formula: str = "w ~ x + z") -> Any:
    smf = pytest.importorskip("statsmodels.formula.api")
    return smf.ols(formula, data=_frame())


def test_glm_results_and_ols_models_built_twice_are_equal_every_time() -> None:
    first, second = _glm(), _glm()
    # the scratch buffer a GLM fit leaves behind holds whatever memory it got: make it differ
    first.model._tmp_like_exog[:] = np.nan
    second.model._tmp_like_exog[:] = 1e300
    one, other = _ols_model(), _ols_model()
    one.fit().summary()  # fills lazy caches (`.data._cache`) on one of them only
    assert "ynames" not in other.data._cache
    for _ in range(20):
        glm = compare(first, second)
        assert glm.verdict == "equal", glm.detail
        assert "params" in glm.detail
        ols = compare(one, other)
        assert ols.verdict == "equal", ols.detail
        assert (glm.detail, ols.detail) == (
            compare(first, second).detail,
            compare(one, other).detail,
        )


def test_statsmodels_results_and_models_still_see_real_differences() -> None:
    sm = pytest.importorskip("statsmodels.api")
    fewer = compare(_glm(), _glm("y ~ x"))
    assert fewer.verdict == "differs" and ".params" in fewer.detail
    probit = compare(_glm().model, _glm(link=sm.families.links.Probit()).model)
    assert probit.verdict == "differs" and ".family.link" in probit.detail
    formula = compare(_ols_model(), _ols_model("w ~ x"))
    assert formula.verdict == "differs", formula.detail
    data = _ols_model()
    moved = _ols_model()
    moved.endog = moved.endog + 1.0
    endog = compare(data, moved)
    assert endog.verdict == "differs" and ".endog" in endog.detail


# --- scikit-learn: parameters and fitted attributes -------------------------------------------


def test_estimators_ignore_private_attributes() -> None:
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    first, second = LogisticRegression().fit(x, y), LogisticRegression().fit(x, y)
    vars(second)["_scratch"] = np.empty(3)  # a private buffer: not what the model means
    assert compare(first, second).verdict == "equal"
    second.C = 2.0
    changed = compare(first, second)
    assert changed.verdict == "differs" and ".C" in changed.detail


# --- any other object: public stored state ---------------------------------------------------


class SurvivalFitter:
    """A fitter as lifelines writes them: the time of the fit in a private attribute."""

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer
        self.link = np.exp  # a function stored on it: what it uses, not what it holds

    def fit(self, durations: list[float]) -> SurvivalFitter:
        self._time_fit_was_called = time.strftime("%Y-%m-%d %H:%M:%S") + str(time.perf_counter())
        self.params_ = pd.Series({"lambda_": sum(durations) / len(durations)})
        return self

    @functools.cached_property
    def summary(self) -> str:  # a lazy cache, filled only where someone asked for it
        return f"lambda={self.params_['lambda_']}"


class Slotted:
    __slots__ = ("_cache", "size")

    def __init__(self, size: int, cache: object) -> None:
        self.size, self._cache = size, cache


class OnlyPrivate:
    def __init__(self, weights: list[float]) -> None:
        self._weights = weights


def test_a_fitter_that_records_its_fit_time_compares_by_its_fit() -> None:
    first = SurvivalFitter(0.1).fit([1.0, 2.0, 3.0])
    time.sleep(0.01)
    second = SurvivalFitter(0.1).fit([1.0, 2.0, 3.0])
    assert first._time_fit_was_called != second._time_fit_was_called
    _ = first.summary  # fills the cache on one side only
    result = compare(first, second)
    assert result.verdict == "equal", result.detail
    assert "params_" in result.detail and "penalizer" in result.detail
    other = compare(first, SurvivalFitter(0.1).fit([1.0, 2.0, 4.0]))
    assert other.verdict == "differs" and ".params_" in other.detail


def test_slots_count_as_stored_state() -> None:
    assert compare(Slotted(3, object()), Slotted(3, [1])).verdict == "equal"
    result = compare(Slotted(3, None), Slotted(4, None))
    assert result.verdict == "differs" and ".size" in result.detail


def test_private_state_is_the_fallback_and_says_so() -> None:
    equal = compare(OnlyPrivate([1.0]), OnlyPrivate([1.0]))
    assert equal.verdict == "equal"
    result = compare(OnlyPrivate([1.0]), OnlyPrivate([2.0]))
    assert result.verdict == "differs" and "._weights[0]" in result.detail
    assert "no public attributes" in result.detail


# --- the run's own objects, described inside the run ------------------------------------------


def test_descriptions_of_the_runs_own_objects_compare_by_their_state() -> None:
    fitted = PublicState("Fitter", {"upper_": 4.25, "parts_": [PublicState("Part", {"v": 0.0})]})
    same = PublicState("Fitter", {"upper_": 4.25, "parts_": [PublicState("Part", {"v": 0.0})]})
    assert compare(fitted, same).verdict == "equal"
    moved = PublicState("Fitter", {"upper_": 4.25, "parts_": [PublicState("Part", {"v": 1.0})]})
    result = compare(fitted, moved)
    assert result.verdict == "differs" and ".parts_[0].v" in result.detail
    other = compare(fitted, PublicState("Other", {"upper_": 4.25, "parts_": []}))
    assert other.verdict == "differs" and "Fitter vs Other" in other.detail
    private = compare(PublicState("P", {"_w": 1}, True), PublicState("P", {"_w": 2}, True))
    assert private.verdict == "differs" and "no public attributes" in private.detail


def test_a_description_compares_with_the_object_it_describes() -> None:
    fitter = SurvivalFitter(0.1).fit([1.0, 2.0])
    described = PublicState("SurvivalFitter", {"params_": fitter.params_, "penalizer": 0.1})
    assert compare(described, fitter).verdict == "equal"


# --- registering a comparer -------------------------------------------------------------------


class Curve:
    """A library object whose meaning is two numbers, whatever else it stores."""

    def __init__(self, a: float, b: float, note: str) -> None:
        self.a, self.b, self.note = a, b, note


class SteepCurve(Curve):
    pass


@pytest.mark.usefixtures("registry")
def test_register_by_class_name_covers_subclasses() -> None:
    assert compare(Curve(1, 2, "x"), Curve(1, 2, "y")).verdict == "differs"  # .note, by default
    register(f"{__name__}.Curve", lambda c: {"a": c.a, "b": c.b})
    assert compare(Curve(1, 2, "x"), Curve(1, 2, "y")).verdict == "equal"
    assert compare(SteepCurve(1, 2, "x"), SteepCurve(1, 2, "y")).verdict == "equal"
    result = compare(Curve(1, 2, "x"), Curve(1, 3, "x"))
    assert result.verdict == "differs" and ".b" in result.detail


@pytest.mark.usefixtures("registry")
def test_register_by_module_prefix_and_by_predicate_last_one_wins() -> None:
    register(__name__, lambda c: {"a": c.a})
    assert compare(Curve(1, 2, "x"), Curve(1, 5, "y")).verdict == "equal"
    register(lambda v: isinstance(v, SteepCurve), lambda c: {"b": c.b})
    assert compare(SteepCurve(1, 2, "x"), SteepCurve(9, 2, "y")).verdict == "equal"
    assert compare(SteepCurve(1, 2, "x"), SteepCurve(1, 3, "y")).verdict == "differs"
    prefix = compare(Curve(1, 2, "x"), Curve(1, 5, "y"))
    assert prefix.verdict == "equal"  # `__name__.Curve` is in the module `__name__`


@pytest.mark.usefixtures("registry")
def test_parts_on_one_side_only_are_a_difference() -> None:
    register(f"{__name__}.Curve", lambda c: {"a": c.a} if c.note == "short" else vars(c))
    result = compare(Curve(1, 2, "long"), Curve(1, 2, "short"))
    assert result.verdict == "differs" and "only in expected: b, note" in result.detail


def test_register_rejects_what_it_cannot_use() -> None:
    with pytest.raises(TypeError):
        cast(Any, register)(3, lambda v: {})


@pytest.mark.usefixtures("registry")
def test_comparers_from_entry_points_are_loaded_once_and_a_broken_one_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata

    class Point:
        name = "curves"

        def __init__(self, setup: Any) -> None:
            self.setup = setup

        def load(self) -> Any:
            return self.setup

    def setup(register_: Any) -> None:
        register_(f"{__name__}.Curve", lambda c: {"a": c.a})

    monkeypatch.setattr(registry_module._Plugins, "loaded", False)
    monkeypatch.setattr(registry_module._Plugins, "failure", "")
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [Point(setup)])
    assert compare(Curve(1, 2, "x"), Curve(1, 3, "y")).verdict == "equal"

    def broken(register_: Any) -> None:
        raise ImportError("lifelines is not installed")

    monkeypatch.setattr(registry_module._Plugins, "loaded", False)
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [Point(broken)])
    result = compare(Curve(1, 2, "x"), Curve(1, 2, "x"))
    assert result.verdict == "uncomparable" and "plugin 'curves' failed" in result.detail


# --- determinism: nothing depends on the process ----------------------------------------------

_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from nb2prod.verify.compare import compare

    class Bag:
        def __init__(self, words, weights):
            self.words, self.weights, self._seen = set(words), dict(weights), object()

    words = ["alpha", "beta", "gamma", "delta", "epsilon"]
    one = Bag(words, {w: len(w) for w in words})
    two = Bag(reversed(words), {w: len(w) for w in reversed(words)})
    three = Bag(words[:-1] + ["zeta"], {w: len(w) + (w == "beta") for w in words})
    print(json.dumps([list(map(str, (r.verdict, r.detail))) for r in (
        compare(one, two), compare(one, three), compare({"b": one, "a": 1}, {"a": 1, "b": three}),
    )]))
    """
)


def test_verdicts_and_details_do_not_depend_on_the_process_hash_seed() -> None:
    answers = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(ROOT)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        answers.add(done.stdout)
    assert len(answers) == 1, answers
    (verdicts,) = answers
    assert '"equal"' in verdicts and '"differs"' in verdicts
