"""The generated package's artifact module (templates/artifact.py.j2) and its trust list.

The template is rendered into a temporary package with a trust list computed by
nb2prod.convert.artifact from real fitted scikit-learn models, then used as a generated
package would: save, load, predict; tampered, truncated and mismatched artifacts refused.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pickle
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib import metadata as distributions
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.feature_selection import SelectKBest
from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    StandardScaler,
)

from nb2prod.analysis.statements import split_cells
from nb2prod.convert.artifact import (
    TrustSource,
    artifact_context,
    held_types,
    trust_list,
)
from nb2prod.convert.render import render_template
from nb2prod.notebook.load import loads

sio = pytest.importorskip("skops.io")  # a dependency of generated packages, not of nb2prod

REPO = Path(__file__).resolve().parents[2]
FEATURES = ["income", "debt", "age", "tenure"]
# mypy settings a generated package needs for this module: skops ships no type information.
MYPY_INI = (
    "[mypy]\nstrict = True\npython_version = 3.10\n[mypy-skops.*]\nignore_missing_imports = True\n"
)
# The demo's shape, as a notebook writes it: what the import fallback reads.
CELLS = (
    """import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn import preprocessing as pp
import sklearn.ensemble
from sklearn.linear_model import LogisticRegression as LR
from sklearn.model_selection import train_test_split""",
    """df = pd.read_csv("applicants.csv")
X_train, X_test, y_train, y_test = train_test_split(df, df.default, random_state=0)
scorer = Pipeline([("scale", pp.StandardScaler()), ("model", LR())]).fit(X_train, y_train)
booster = sklearn.ensemble.GradientBoostingClassifier(random_state=0).fit(X_train, y_train)""",
)
NOTEBOOK = json.dumps(
    {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "cells": [
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {},
                "source": source,
                "outputs": [],
                "execution_count": i + 1,
            }
            for i, source in enumerate(CELLS)
        ],
    }
).encode()


class Payload:
    """A type no fitted model holds: loading it would run code the artifact chose."""

    constructed = False

    def __setstate__(self, state: dict[str, Any]) -> None:
        Payload.constructed = True
        self.__dict__.update(state)


def _frame(rows: int, seed: int) -> Any:
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame(
        {
            "income": rng.normal(50_000, 12_000, rows),
            "debt": rng.normal(9_000, 4_000, rows),
            "age": rng.randint(18, 80, rows).astype("int64"),
            "tenure": rng.exponential(4.0, rows),
        }
    )
    score = frame.debt / frame.income * 5 - frame.tenure / 10 + rng.normal(0, 0.3, rows)
    frame["default"] = (score > score.median()).astype("int64")
    return frame


@pytest.fixture(scope="module")
def training() -> Any:
    return _frame(400, seed=0)


@pytest.fixture(scope="module")
def fitted(training: Any) -> dict[str, Any]:
    X, y = training[FEATURES], training["default"]
    scorer = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    booster = GradientBoostingClassifier(n_estimators=40, random_state=0)
    return {"scorer": scorer.fit(X, y), "booster": booster.fit(X, y)}


def _render(folder: Path, module_name: str, trust: Any) -> tuple[Path, ModuleType]:
    context = artifact_context(
        package="credit_pkg",
        notebook_name="credit.ipynb",
        notebook_source=NOTEBOOK,
        trust=trust,
        distributions=("numpy", "pandas", "scikit-learn"),
    )
    file = folder / "src" / "credit_pkg" / "artifact.py"
    file.parent.mkdir(parents=True)
    file.write_text(render_template("artifact.py.j2", **context.values()), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(module_name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return file, module


@pytest.fixture(scope="module")
def rendered(
    tmp_path_factory: pytest.TempPathFactory, fitted: dict[str, Any]
) -> Iterator[tuple[Path, ModuleType]]:
    trust = trust_list(list(fitted.values()), ())
    assert trust.source is TrustSource.CAPTURED
    yield _render(tmp_path_factory.mktemp("captured"), "credit_pkg_artifact_captured", trust)
    sys.modules.pop("credit_pkg_artifact_captured", None)


@pytest.fixture(scope="module")
def artifact(rendered: tuple[Path, ModuleType]) -> ModuleType:
    return rendered[1]


def _save(artifact: ModuleType, fitted: dict[str, Any], training: Any, root: Path) -> Path:
    data = root.parent / "applicants.csv"
    training.to_csv(data, index=False)
    metadata = artifact.describe(
        config={"pd_threshold": 0.35, "columns": ("income", "debt"), "data": data},
        metrics={"auc": np.float64(0.91), "brier": float("nan")},
        features=artifact.columns_of(training[FEATURES]),
        data_files=[data],
        frames={"applicants": training},
    )
    return artifact.save(fitted, metadata, root)


@pytest.fixture
def saved(artifact: ModuleType, fitted: dict[str, Any], training: Any, tmp_path: Path) -> Path:
    return _save(artifact, fitted, training, tmp_path / "artifacts")


def _edit_metadata(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    file = folder / "metadata.json"
    raw = json.loads(file.read_text())
    change(raw)
    file.write_text(json.dumps(raw))


def _sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


# --- the rendered module is code a team keeps --------------------------------------------


def test_rendered_module_passes_mypy_strict_and_ruff(rendered: tuple[Path, ModuleType]) -> None:
    file, _ = rendered
    config = file.parents[2] / "mypy.ini"
    config.write_text(MYPY_INI)
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), str(file)],
        cwd=file.parents[2],
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    # nb2prod's own rule set, for the oldest Python a generated package supports
    ruff = subprocess.run(
        [
            *(sys.executable, "-m", "ruff", "check", "--no-cache", str(file)),
            *("--config", str(REPO / "pyproject.toml"), "--config", "target-version = 'py310'"),
        ],
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    black = pytest.importorskip("black")
    text = file.read_text()
    assert black.format_str(text, mode=black.Mode()) == text  # convert's black leaves it as is


def test_trust_list_is_written_into_the_code(
    rendered: tuple[Path, ModuleType], fitted: dict[str, Any]
) -> None:
    _, artifact = rendered
    assert "sklearn.tree._tree.Tree" in artifact.TRUSTED_TYPES  # held by the booster's trees
    assert "sklearn.pipeline.Pipeline" in artifact.TRUSTED_TYPES
    assert set(artifact.DISTRIBUTIONS) == {"numpy", "pandas", "scikit-learn", "skops"}


# --- save and load -----------------------------------------------------------------------


def test_round_trip_predicts_the_same_values(
    artifact: ModuleType, fitted: dict[str, Any], training: Any, saved: Path
) -> None:
    loaded = artifact.load(saved)
    rows = _frame(200, seed=7)[FEATURES]
    for name in ("scorer", "booster"):
        before = fitted[name].predict_proba(rows)
        after = loaded.get(name, type(fitted[name])).predict_proba(rows)
        np.testing.assert_array_equal(after, before)
    meta = loaded.metadata
    assert meta.version == saved.name
    assert meta.metrics["auc"] == pytest.approx(0.91) and np.isnan(meta.metrics["brier"])
    assert [c.name for c in meta.features] == FEATURES
    assert meta.features[2].dtype == "int64"
    assert meta.frames[0].shape == (400, 5)
    assert meta.data_files[0].sha256 == _sha256(Path(meta.data_files[0].path))
    assert meta.config["columns"] == ["income", "debt"]  # as JSON holds them
    assert meta.libraries["scikit-learn"] == distributions.version("scikit-learn")
    assert meta.package == "credit_pkg" and len(meta.notebook_sha256) == 64
    assert datetime.fromisoformat(meta.created).tzinfo is not None
    # strict JSON, readable by the JupyterLab panel (no NaN literal)
    json.loads((saved / "metadata.json").read_text(), parse_constant=pytest.fail)


def test_version_sorts_by_time_and_names_the_data(
    artifact: ModuleType, fitted: dict[str, Any], training: Any, tmp_path: Path
) -> None:
    root = tmp_path / "artifacts"
    kwargs: dict[str, Any] = {"config": {}, "metrics": {}, "features": ()}
    early = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    late = datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC)
    first = artifact.save(fitted, artifact.describe(**kwargs, now=early), root)
    other = artifact.describe(**kwargs, frames={"applicants": training}, now=late)
    second = artifact.save(fitted, other, root)
    assert first.name.startswith("20260102T030405.678Z-")
    assert first.name.split("-")[1] != second.name.split("-")[1]  # other data, other hash
    assert artifact.latest(root) == second
    assert artifact.load(root).path == second  # a folder of versions: the newest
    with pytest.raises(artifact.ArtifactError, match="already exists"):
        artifact.save(fitted, other, root)


# --- refused artifacts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("planted", "named"),
    [
        pytest.param(Payload(), "Payload", id="a-class-of-the-attacker"),
        pytest.param(FunctionTransformer(func=os.system), "system", id="os-system-in-a-step"),
    ],
)
def test_untrusted_type_is_refused(
    artifact: ModuleType, saved: Path, planted: object, named: str
) -> None:
    # a deliberate tamperer also fixes the checksum, and claims the type is trusted
    target = saved / "scorer.skops"
    sio.dump(planted, target)

    def forge(raw: dict[str, Any]) -> None:
        raw["objects"]["scorer"]["sha256"] = _sha256(target)
        raw["trusted_types"] = sio.get_untrusted_types(file=target)

    _edit_metadata(saved, forge)
    Payload.constructed = False
    with pytest.raises(artifact.ArtifactError) as caught:
        artifact.load(saved, allow_version_mismatch=True)
    message = str(caught.value)
    assert message.startswith(str(target)) and named in message and "\n" not in message
    assert not Payload.constructed


@pytest.mark.parametrize(
    ("field", "value"),
    [("left_child", 10**6), ("right_child", 0), ("feature", 10**6)],
    ids=["child-past-the-end", "child-loops-back", "feature-past-the-end"],
)
def test_tree_linking_outside_itself_is_refused(
    artifact: ModuleType, saved: Path, field: str, value: int
) -> None:
    # Tree is a trusted type (the booster holds it); its contents are checked after loading
    target = saved / "booster.skops"
    booster = sio.load(target, trusted=sio.get_untrusted_types(file=target))
    tree = booster.estimators_[3, 0].tree_
    state = tree.__getstate__()
    state["nodes"][field][0] = value  # the root: an inner node of every fitted tree
    tree.__setstate__(state)
    sio.dump(booster, target)
    _edit_metadata(saved, lambda raw: raw["objects"]["booster"].update(sha256=_sha256(target)))
    with pytest.raises(artifact.ArtifactError, match="links outside itself") as caught:
        artifact.load(saved)
    assert str(caught.value).startswith(str(target))


def _bump(version: str, part: int) -> str:
    numbers = [int(n) for n in version.split(".")[:3]] + [0] * 3
    numbers[part] += 1
    return ".".join(str(n) for n in numbers[:3])


INSTALLED = {name: distributions.version(name) for name in ("scikit-learn", "numpy")}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda raw: raw["libraries"].update(
                {"scikit-learn": _bump(INSTALLED["scikit-learn"], 1)}
            ),
            f"scikit-learn {_bump(INSTALLED['scikit-learn'], 1)} made the artifact, "
            f"{INSTALLED['scikit-learn']} is installed",
            id="minor",
        ),
        pytest.param(
            lambda raw: raw["libraries"].update({"numpy": _bump(INSTALLED["numpy"], 0)}),
            f"numpy {_bump(INSTALLED['numpy'], 0)} made the artifact, {INSTALLED['numpy']} is installed",
            id="major",
        ),
        pytest.param(
            lambda raw: raw["libraries"].update({"not-a-distribution-xyz": "1.0"}),
            "not-a-distribution-xyz 1.0 made the artifact, not installed is installed",
            id="missing",
        ),
        pytest.param(
            lambda raw: raw.update({"package": "other_pkg"}),
            "made by package other_pkg",
            id="other-package",
        ),
        pytest.param(
            lambda raw: raw.update({"notebook_sha256": "0" * 64}),
            "another notebook version",
            id="other-notebook",
        ),
        pytest.param(
            lambda raw: raw["libraries"].update(
                {"scikit-learn": _bump(INSTALLED["scikit-learn"], 2)}
            ),
            None,
            id="patch-only-is-fine",
        ),
    ],
)
def test_version_mismatch_errors_or_warns_with_the_flag(
    artifact: ModuleType,
    saved: Path,
    edit: Callable[[dict[str, Any]], None],
    expected: str | None,
) -> None:
    _edit_metadata(saved, edit)
    if expected is None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            artifact.load(saved)
        return
    with pytest.raises(artifact.ArtifactError) as caught:
        artifact.load(saved)
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    with pytest.warns(artifact.ArtifactVersionWarning, match=expected.split(",")[0]):
        loaded = artifact.load(saved, allow_version_mismatch=True)
    assert set(loaded.objects) == {"scorer", "booster"}


def _truncate(file: Path) -> None:
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


def _garble_keeping_checksum(folder: Path) -> None:
    target = folder / "booster.skops"
    target.write_bytes(b"PK\x03\x04 not a zip at all")
    _edit_metadata(folder, lambda raw: raw["objects"]["booster"].update(sha256=_sha256(target)))


@pytest.mark.parametrize(
    ("damage", "named", "reason"),
    [
        (lambda d: _truncate(d / "booster.skops"), "booster.skops", "corrupt"),
        (lambda d: _truncate(d / "metadata.json"), "metadata.json", "corrupt"),
        (lambda d: (d / "scorer.skops").unlink(), "scorer.skops", "missing"),
        (lambda d: (d / "metadata.json").unlink(), "metadata.json", "missing"),
        (_garble_keeping_checksum, "booster.skops", "corrupt"),
        (  # a valid skops file, but not the one saved under this name
            lambda d: (d / "booster.skops").write_bytes((d / "scorer.skops").read_bytes()),
            "booster.skops",
            "sha256 differs",
        ),
        (
            lambda d: _edit_metadata(d, lambda raw: raw.pop("features")),
            "metadata.json",
            "corrupt",
        ),
        (
            lambda d: _edit_metadata(
                d, lambda raw: raw["objects"].update({"../x": {"sha256": ""}})
            ),
            "metadata.json",
            "not a valid object name",
        ),
        (
            lambda d: _edit_metadata(d, lambda raw: raw.update(format=99)),
            "metadata.json",
            "newer",
        ),
    ],
    ids=[
        "truncated-object",
        "truncated-metadata",
        "missing-object",
        "missing-metadata",
        "garbled-object",
        "swapped-object",
        "metadata-without-features",
        "path-in-object-name",
        "newer-format",
    ],
)
def test_damaged_artifact_is_an_error_naming_the_file(
    artifact: ModuleType, saved: Path, damage: Callable[[Path], None], named: str, reason: str
) -> None:
    damage(saved)
    with pytest.raises(artifact.ArtifactError) as caught:
        artifact.load(saved, allow_version_mismatch=True)
    message = str(caught.value)
    assert message.startswith(str(saved / named)) and reason in message and "\n" not in message


def test_nothing_at_the_path_is_an_error_naming_it(artifact: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(artifact.ArtifactError, match=r"metadata\.json: missing") as caught:
        artifact.load(tmp_path / "nowhere")
    assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)
    with pytest.raises(artifact.ArtifactError, match="no artifact here"):
        artifact.latest(tmp_path)


# --- atomic writes -----------------------------------------------------------------------


def test_unsavable_object_leaves_no_folder(
    artifact: ModuleType, fitted: dict[str, Any], tmp_path: Path
) -> None:
    root = tmp_path / "artifacts"
    metadata = artifact.describe(config={}, metrics={}, features=())
    objects = {**fitted, "stream": (n for n in range(3))}  # skops cannot save a generator
    with pytest.raises(artifact.ArtifactError, match="cannot save 'stream'") as caught:
        artifact.save(objects, metadata, root)
    assert str(caught.value).startswith(str(root / metadata.version / "stream.skops"))
    assert list(root.iterdir()) == []


def test_folder_appears_at_once_or_not_at_all(
    artifact: ModuleType,
    fitted: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "artifacts"
    metadata = artifact.describe(config={}, metrics={}, features=())
    real_dump = sio.dump
    written: list[str] = []

    def dump(value: object, file: Path) -> None:
        assert not (root / metadata.version).exists()  # nothing visible while writing
        if written:
            raise KeyboardInterrupt  # stopped mid-write, after the first object
        real_dump(value, file)
        written.append(Path(file).name)

    monkeypatch.setattr(sio, "dump", dump)
    with pytest.raises(KeyboardInterrupt):
        artifact.save(fitted, metadata, root)
    assert written and list(root.iterdir()) == []
    monkeypatch.setattr(sio, "dump", real_dump)
    target = artifact.save(fitted, metadata, root)
    assert sorted(p.name for p in target.iterdir()) == [
        "booster.skops",
        "metadata.json",
        "scorer.skops",
    ]
    assert [p.name for p in root.iterdir()] == [metadata.version]  # no staging folder left


# --- the trust list, on the convert side ---------------------------------------------------


def _small_data() -> tuple[Any, Any]:
    frame = _frame(120, seed=3)
    return frame[FEATURES], frame["default"]


ESTIMATORS: list[Callable[[], Any]] = [
    lambda: Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]),
    lambda: GradientBoostingClassifier(n_estimators=5, random_state=0),
    lambda: RandomForestClassifier(n_estimators=3, random_state=0),
    lambda: HistGradientBoostingClassifier(max_iter=5),
    lambda: KNeighborsClassifier(),
    lambda: KNeighborsClassifier(algorithm="ball_tree", metric="manhattan"),
    lambda: MLPClassifier(max_iter=20, random_state=0),
    lambda: CalibratedClassifierCV(LogisticRegression(), cv=3),
    lambda: Pipeline([("impute", SimpleImputer()), ("select", SelectKBest(k=2))]),
    lambda: ColumnTransformer(
        [("scale", StandardScaler(), ["income"]), ("bins", OneHotEncoder(), ["age"])]
    ),
    lambda: FunctionTransformer(func=np.log1p),
    lambda: GaussianProcessRegressor(),  # its default kernel: ConstantKernel * RBF
    lambda: GaussianProcessClassifier(kernel=1.0 * RBF()),
]


@pytest.mark.parametrize("make", ESTIMATORS, ids=lambda make: type(make()).__name__)
def test_held_types_cover_what_skops_does_not_trust(make: Callable[[], Any]) -> None:
    X, y = _small_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of tiny fits
        estimator = make().fit(X, y)
    untrusted = set(sio.get_untrusted_types(data=sio.dumps(estimator)))
    held = set(held_types([estimator]))
    assert untrusted <= held, untrusted - held
    assert f"{type(estimator).__module__}.{type(estimator).__name__}" in held


def test_code_that_reaches_the_system_never_gets_trusted() -> None:
    step = FunctionTransformer(func=os.system)
    assert any(name.endswith(".system") for name in held_types([step]))
    assert not any(name.endswith(".system") for name in trust_list([step], ()).types)


def test_without_captured_objects_the_notebook_constructions_are_trusted(
    tmp_path: Path, fitted: dict[str, Any], training: Any
) -> None:
    statements, _ = split_cells(loads(NOTEBOOK, "credit.ipynb"))
    trust = trust_list(None, statements)
    assert trust.source is TrustSource.IMPORTS
    assert set(trust.types) == {
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing.StandardScaler",
        "sklearn.linear_model.LogisticRegression",
        "sklearn.ensemble.GradientBoostingClassifier",
        "sklearn.tree._tree.Tree",  # what a fitted GradientBoostingClassifier holds
    }
    # public names work: load() finds where each class is defined, the name skops writes
    _, module = _render(tmp_path, "credit_pkg_artifact_imports", trust)
    try:
        folder = _save(module, fitted, training, tmp_path / "artifacts")
        assert set(module.load(folder).objects) == {"scorer", "booster"}
    finally:
        sys.modules.pop("credit_pkg_artifact_imports", None)


def test_kernel_arithmetic_of_a_notebook_gets_its_types_trusted() -> None:
    # `1 * RBF()` builds a Product and a ConstantKernel that no statement names
    cells = [
        "import numpy as np\n"
        "from sklearn.gaussian_process import GaussianProcessRegressor\n"
        "from sklearn.gaussian_process.kernels import RBF",
        "X = np.linspace(0, 1, 30).reshape(-1, 1)\ny = np.sin(X).ravel()\n"
        "gp = GaussianProcessRegressor(kernel=1 * RBF(length_scale=1.0)).fit(X, y)",
    ]
    notebook = json.loads(NOTEBOOK)
    notebook["cells"] = [
        dict(notebook["cells"][0], id=f"g{i}", source=s) for i, s in enumerate(cells)
    ]
    statements, _ = split_cells(loads(json.dumps(notebook).encode(), "gp.ipynb"))
    trust = set(trust_list(None, statements).types)
    X = np.linspace(0, 1, 30).reshape(-1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of a tiny fit
        gp = GaussianProcessRegressor(kernel=1 * RBF(length_scale=1.0)).fit(X, np.sin(X).ravel())
    untrusted = set(sio.get_untrusted_types(data=sio.dumps(gp)))
    assert untrusted <= trust, untrusted - trust


def best_recall(results: dict[str, Any]) -> int:
    return int(np.argmax(results["mean_test_recall"]))


def test_a_search_with_the_packages_own_refit_and_metric_scorers_loads(
    training: Any, tmp_path: Path
) -> None:
    # the notebook's own `refit` callable lives in the package (credit_pkg.features), and a
    # search keeps scikit-learn's metric functions for its `scoring`: neither needs review
    cells = [
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.model_selection import GridSearchCV",
        "search = GridSearchCV(LogisticRegression(), {'C': [0.1, 1.0]}).fit(X, y)",
    ]
    notebook = json.loads(NOTEBOOK)
    notebook["cells"] = [
        dict(notebook["cells"][0], id=f"s{i}", source=c) for i, c in enumerate(cells)
    ]
    statements, _ = split_cells(loads(json.dumps(notebook).encode(), "search.ipynb"))
    _, artifact = _render(tmp_path, "credit_pkg_artifact_search", trust_list(None, statements))
    own = ModuleType("credit_pkg.features")
    own.__dict__["best_recall"] = best_recall
    best_recall.__module__ = own.__name__
    sys.modules[own.__name__] = own
    try:
        X, y = training[FEATURES], training["default"]
        search = GridSearchCV(
            LogisticRegression(),
            {"C": [0.1, 1.0]},
            scoring={"precision": "precision", "recall": "recall"},
            refit=best_recall,
            cv=3,
        ).fit(X, y)
        untrusted = set(sio.get_untrusted_types(data=sio.dumps(search)))
        assert "credit_pkg.features.best_recall" in untrusted  # skops does not trust it
        folder = _save(artifact, {"search": search}, training, tmp_path / "artifacts")
        loaded = artifact.load(folder, allow_version_mismatch=True).objects["search"]
        assert (loaded.predict(X) == search.predict(X)).all()
        # a function of any other module still needs review
        best_recall.__module__ = "elsewhere"
        sys.modules["elsewhere"] = own
        folder = _save(artifact, {"search": search}, training, tmp_path / "others")
        with pytest.raises(artifact.ArtifactError, match=r"elsewhere\.best_recall"):
            artifact.load(folder, allow_version_mismatch=True)
    finally:
        sys.modules.pop(own.__name__, None)
        sys.modules.pop("elsewhere", None)
        sys.modules.pop("credit_pkg_artifact_search", None)
        best_recall.__module__ = __name__
