"""The drift measures of the generated package's monitoring.py (templates/monitoring.py.j2),
rendered and imported as a package has them, on distributions with known answers."""

from __future__ import annotations

import importlib.util
import math
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from nb2prod.convert.render import render_template


@pytest.fixture(scope="module")
def monitoring(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    file = tmp_path_factory.mktemp("pkg") / "monitoring.py"
    file.write_text(render_template("monitoring.py.j2", package="pkg"))
    spec = importlib.util.spec_from_file_location("pkg_monitoring", file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_psi_of_known_proportions(monitoring: ModuleType) -> None:
    assert monitoring.psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    expected = (0.9 - 0.5) * math.log(0.9 / 0.5) + (0.1 - 0.5) * math.log(0.1 / 0.5)
    assert monitoring.psi([0.5, 0.5], [0.9, 0.1]) == pytest.approx(expected)
    # an empty bin counts as EPSILON: finite, and large
    eps = monitoring.EPSILON
    empty = 0.5 * math.log(2) + (eps - 0.5) * math.log(eps / 0.5)
    assert monitoring.psi([0.5, 0.5], [1.0, 0.0]) == pytest.approx(empty)
    with pytest.raises(ValueError, match="2 training bins but 3"):
        monitoring.psi([0.5, 0.5], [0.3, 0.3, 0.4])


def test_deciles_of_training_hold_a_tenth_each(monitoring: ModuleType) -> None:
    values = np.random.default_rng(0).normal(size=10_000)
    found = monitoring.distribution(values)
    assert found["kind"] == "number" and len(found["edges"]) == 9
    assert found["proportions"] == pytest.approx([0.1] * 10, abs=1e-3)
    assert monitoring.drift(found, values) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    ("shift", "scale", "low", "high"),
    [(0.0, 1.0, 0.0, 0.02), (0.5, 1.0, 0.15, 0.4), (1.0, 1.0, 0.6, 1.5), (0.0, 3.0, 0.5, 3.0)],
)
def test_psi_grows_with_the_shift(
    monitoring: ModuleType, shift: float, scale: float, low: float, high: float
) -> None:
    rng = np.random.default_rng(1)
    found = monitoring.distribution(rng.normal(size=20_000))
    value = monitoring.drift(found, rng.normal(shift, scale, size=20_000))
    assert low <= value <= high


def test_resamples_of_the_training_data_are_not_flagged(monitoring: ModuleType) -> None:
    """PSI under PSI_STABLE for at least 95 of 100 bootstrap resamples (issue #15, item 4)."""
    rng = np.random.default_rng(2)
    training = pd.Series(rng.lognormal(3.0, 0.8, size=2000))
    found = monitoring.distribution(training)
    values = [
        monitoring.drift(found, training.sample(len(training), replace=True, random_state=i))
        for i in range(100)
    ]
    assert sum(v < monitoring.PSI_STABLE for v in values) >= 95


def test_categories_and_unseen_ones(monitoring: ModuleType) -> None:
    training = pd.Series(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    found = monitoring.distribution(training)
    assert found["kind"] == "category"
    assert monitoring.drift(found, training) == pytest.approx(0.0, abs=1e-9)
    # a category training never saw lands in the "other" bin and is drift
    assert monitoring.drift(found, pd.Series(["a"] * 50 + ["z"] * 50)) > 1.0


def test_a_record_names_the_drifted_feature(monitoring: ModuleType) -> None:
    rng = np.random.default_rng(3)
    matrix = pd.DataFrame({"x": rng.normal(size=3000), "y": rng.uniform(size=3000)})
    frame = matrix.assign(t=["p", "q", "r"] * 1000)
    base = monitoring.baseline(
        contracts={},
        inputs={"df": monitoring.columns(frame)},
        matrix=matrix,
        predictions=rng.uniform(size=3000),
        target=(),
    )
    batch = matrix.assign(x=matrix["x"] + 2)
    entry = monitoring.record(
        base,
        frame=frame,
        name="df",
        matrix=batch,
        predictions=rng.uniform(size=3000),
        violations={"x": 4},
        version="v1",
    )
    assert entry["drifted"] == ["x"] and entry["psi"]["y"] < 0.02
    assert entry["rows"] == 3000 and entry["out_of_contract"] == {"x": 4}
    assert entry["prediction_psi"] < 0.02
    assert base["inputs"]["df"]["t"]["frequencies"]["p"] == pytest.approx(1 / 3)
