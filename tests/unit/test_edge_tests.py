"""Edge tests of the generated package: return types, imputed values, untaken branches.

The analysis (nb2prod/convert/edge_cases.py) is checked on code alone. Then a small package
is written with values captured from running its notebook code on a frame; the golden and edge
fixtures are recorded as `nb2prod verify` records them, and the generated tests/test_edges.py
passes in the package's own pytest run. Each kind is mutation-proven: an operator or statistic
changed in the generated feature code makes its generated edge test fail, including changes
the golden tests cannot see (the branch the notebook's data never took).
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import numpy as np
import pandas as pd
import pytest

from nb2prod.convert.edge_cases import Condition, Imputation, analyze_module
from nb2prod.convert.plan import Plan
from nb2prod.verify.fixtures import write_golden_tests

FEATURES = """
import numpy as np
from sklearn.impute import SimpleImputer


def _bucket(v):
    if v >= 65:
        return "senior"
    return "adult"


def clean(df):
    df = df.copy()
    df["age"] = df["age"].fillna(df["age"].median())
    df["city"] = df["city"].fillna(df["city"].mode()[0])
    return df


def flag(cleaned):
    out = cleaned.copy()
    out["bonus"] = np.where(out["income"] > 100, out["income"] * 2, 0.0)
    out["tier"] = np.where(out["city"].isin(["a", "b", "c"]), "core", "edge")
    out.loc[out["income"].isna(), "income"] = 0.0
    out.loc[out["age"] < 18, "income"] = 0.0
    out["group"] = out["age"].apply(_bucket)
    return out


def impute(df):
    imputer = SimpleImputer(strategy="mean")
    return imputer.fit_transform(df[["age", "income"]])
"""

FILES = {
    "__init__.py": "",
    "config.py": "class Config:\n    pass\n",
    "data.py": """
        import pandas as pd

        def load():
            return pd.DataFrame(
                {
                    "age": [30.0, 40.0, 55.0, 90.0, 25.0],
                    "income": [10.0, 20.0, 30.0, 100.0, 50.0],
                    "city": ["a", "b", "b", None, "c"],
                }
            )
    """,
    "features.py": FEATURES,
}
STEPS = (  # (function, module, parameters, returns)
    ("load", "data", (), ("df",)),
    ("clean", "features", ("df",), ("cleaned",)),
    ("flag", "features", ("cleaned",), ("flagged",)),
    ("impute", "features", ("df",), ("matrix",)),
)


def _line(text: str) -> int:
    """The line of FEATURES that holds `text`."""
    return next(n for n, line in enumerate(FEATURES.splitlines(), 1) if text in line)


def test_analysis_finds_imputations_and_conditions() -> None:
    found = {
        f.function: f for f in analyze_module(FEATURES, "features", ["clean", "flag", "impute"])
    }

    assert found["clean"].imputations == (
        Imputation("age", "age", "median", "fillna", _line("median()")),
        Imputation("city", "city", "mode", "fillna", _line("mode()")),
    )
    assert found["clean"].conditions == ()
    assert [(c.column, c.op, c.value, c.kind) for c in found["flag"].conditions] == [
        ("income", ">", 100, "where"),
        ("city", "in", ("a", "b", "c"), "where"),
        ("income", "isna", None, "loc"),
        ("age", "<", 18, "loc"),
        ("age", ">=", 65, "if"),  # in _bucket, applied to the age column
    ]
    assert found["impute"].imputations == (
        Imputation("age", "age", "mean", "SimpleImputer", _line("SimpleImputer(")),
        Imputation("income", "income", "mean", "SimpleImputer", _line("SimpleImputer(")),
    )


def test_analysis_reads_mirrored_and_combined_conditions() -> None:
    source = textwrap.dedent(
        """
        def f(df, row):
            df.loc[(0.5 <= df.ratio) & ~(df["kind"] == "x"), "y"] = 1
            value = 1 if row["n"] != -2 and df.shape[0] > 3 else 0
            df["z"] = df["w"].map(lambda v: v * 2 if v < 1.5 else v)
            df["k"] = df["code"].map(lambda c: 1 if c not in ("p", "q") else 0)
            df.loc[~df.tag.notnull() | df["m"].isin(v for v in [1]), "y"] = 2
            return df, value
        """
    )
    (found,) = analyze_module(source, "features", ["f"])

    assert [(c.column, c.op, c.value, c.kind) for c in found.conditions] == [
        ("ratio", ">=", 0.5, "loc"),
        ("kind", "==", "x", "loc"),
        ("n", "!=", -2, "if"),  # df.shape[0] names no column
        ("tag", "notna", None, "loc"),  # isin of a generator: no literals to take a side of
        ("w", "<", 1.5, "if"),  # in a lambda: found after the statements' own
        ("code", "not in", ("p", "q"), "if"),
    ]
    assert isinstance(found.conditions[0], Condition)
    assert found.imputations == ()


def _notebook_run() -> dict[str, dict[str, object]]:
    """The values each step returned when the notebook's code ran (its `verify` capture)."""
    namespace: dict[str, object] = {}
    exec(compile(FEATURES, "features", "exec"), namespace)
    df = pd.DataFrame(
        {
            "age": [30.0, 40.0, 55.0, 90.0, 25.0],
            "income": [10.0, 20.0, 30.0, 100.0, 50.0],
            "city": ["a", "b", "b", None, "c"],
        }
    )
    step = cast(dict[str, Callable[[object], object]], namespace)
    cleaned = step["clean"](df)
    return {
        "load": {"df": df},
        "clean": {"cleaned": cleaned},
        "flag": {"flagged": step["flag"](cleaned)},
        "impute": {"matrix": step["impute"](df)},
    }


def _recorded_package(root: Path) -> Path:
    package = root / "package"
    src = package / "src" / "pkg"
    src.mkdir(parents=True)
    for name, text in FILES.items():
        (src / name).write_text(textwrap.dedent(text))
    (package / "tests").mkdir()
    captured = root / "captured"
    captured.mkdir()
    for function, values in _notebook_run().items():
        stored = {k: pickle.dumps(v) for k, v in values.items()}
        (captured / f"{function}.pkl").write_bytes(pickle.dumps(stored))
    functions = [
        SimpleNamespace(
            name=name,
            module=module,
            params=params,
            returns=returns,
            role=SimpleNamespace(value=module),
            config_names=(),
            takes_config=False,
            statements=(),
        )
        for name, module, params, returns in STEPS
    ]
    plan = SimpleNamespace(
        package="pkg",
        functions=functions,
        notebook_path=str(root / "notebook.ipynb"),
        base_dir=".",
        result_fields=tuple(n for f in functions for n in f.returns),
    )
    work = root / "work"
    work.mkdir()
    write_golden_tests(cast(Plan, plan), captured, package, work)
    return package


def _pytest(package: Path, *selection: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", *selection],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _recorded_package(tmp_path_factory.mktemp("edges"))


def test_edge_records_hold_the_notebook_values(recorded: Path) -> None:
    fixtures = recorded / "tests" / "fixtures"
    clean = json.loads((fixtures / "clean" / "edges.json").read_text())
    imputed = {c["column"]: c for c in clean if c["kind"] == "imputation"}
    # the notebook's data has no missing age: a NaN is put in the first row
    assert imputed["age"]["value"] == float(np.median([40.0, 55.0, 90.0, 25.0]))
    assert imputed["city"]["value"] == "b"  # the most frequent city
    types = next(c for c in clean if c["kind"] == "return_type")["returns"]
    assert types["cleaned"]["type"] == "pandas.DataFrame" or types["cleaned"]["type"].endswith(
        ".DataFrame"
    )
    assert types["cleaned"]["dtypes"]["age"] == "float64"

    flag = json.loads((fixtures / "flag" / "edges.json").read_text())
    branches = {c["id"]: c for c in flag if c["kind"] == "branch"}
    # income never exceeds 100 and age is never under 18 in the notebook's data: a row each on
    # the other side; no age is 18 or 65 (`v >= 65` in _bucket, applied to age): a row on each
    # boundary, where `<` and `<=` part; an income of 100 is in the data, so no boundary row
    # every city is one of a, b, c and no income is missing: a row each on the other side
    assert set(branches) == {
        "income-gt-100-true",
        "city-in-a+b+c-false",
        "income-isna-true",
        "age-lt-18-true",
        "age-lt-18-boundary",
        "age-ge-65-boundary",
    }
    assert branches["city-in-a+b+c-false"]["synthetic_value"] == "a-other"
    assert branches["city-in-a+b+c-false"]["notebook_took"] is True
    assert np.isnan(branches["income-isna-true"]["synthetic_value"])
    assert branches["income-isna-true"]["notebook_took"] is False
    assert branches["income-gt-100-true"]["synthetic_value"] == 101.0
    assert branches["income-gt-100-true"]["notebook_took"] is False
    assert branches["age-lt-18-true"]["synthetic_value"] == 17.0
    assert branches["age-lt-18-boundary"]["synthetic_value"] == 18.0
    assert branches["age-lt-18-boundary"]["side"] is False
    assert branches["age-ge-65-boundary"]["side"] is True
    row = pickle.loads(
        (fixtures / "flag" / "edges" / branches["income-gt-100-true"]["file"]).read_bytes()
    )
    assert row["expected"]["flagged"]["bonus"].tolist() == [202.0]  # the income, doubled

    impute = json.loads((fixtures / "impute" / "edges.json").read_text())
    means = {c["column"]: c["value"] for c in impute if c["kind"] == "imputation"}
    assert means == {
        "age": pytest.approx(np.mean([40.0, 55.0, 90.0, 25.0])),
        "income": pytest.approx(np.mean([20.0, 30.0, 100.0, 50.0])),
    }


def test_generated_edge_tests_pass(recorded: Path) -> None:
    done = _pytest(recorded, "tests/test_edges.py")
    assert done.returncode == 0, done.stdout[-3000:]
    passed = done.stdout.count("PASSED")
    # return types of load, clean, flag, impute; 4 imputations; 4 untaken sides, 2 boundaries
    assert passed == 14, done.stdout[-3000:]


MUTATIONS = [
    # (what changes in features.py, the generated test that must fail, golden test fails too)
    (
        ('df.copy()\n    df["age"]', 'df.copy().astype({"age": "float32"})\n    df["age"]'),
        "test_returns_the_types_the_notebook_returned[clean-returns]",
        True,
    ),
    (
        ('df["age"].median()', 'df["age"].mean()'),
        "test_missing_values_are_filled_with_the_notebook_statistic[clean-df-age-median]",
        False,
    ),
    (
        ('strategy="mean"', 'strategy="median"'),
        "test_missing_values_are_filled_with_the_notebook_statistic[impute-df-age-mean]",
        False,
    ),
    (
        ('out["income"] * 2', 'out["income"] * 3'),  # the branch the notebook never took
        "test_a_row_on_the_untaken_side_behaves_as_recorded[flag-income-gt-100-true]",
        False,
    ),
    (
        ('out["income"] > 100', 'out["income"] <= 100'),  # the condition flipped
        "test_a_row_on_the_untaken_side_behaves_as_recorded[flag-income-gt-100-true]",
        True,
    ),
    (
        ('out["age"] < 18', 'out["age"] <= 18'),  # off by one, where the data has no 18
        "test_a_row_on_the_untaken_side_behaves_as_recorded[flag-age-lt-18-boundary]",
        False,
    ),
    (
        ("if v >= 65", "if v > 65"),
        "test_a_row_on_the_untaken_side_behaves_as_recorded[flag-age-ge-65-boundary]",
        False,
    ),
    (
        ('"core", "edge"', '"core", "core"'),  # the outcome of a city outside the list
        "test_a_row_on_the_untaken_side_behaves_as_recorded[flag-city-in-a+b+c-false]",
        False,
    ),
    (
        ('out["city"].isin(', '~out["city"].isin('),  # the membership flipped
        "test_a_row_on_the_untaken_side_behaves_as_recorded[flag-city-in-a+b+c-false]",
        True,
    ),
    (
        ('isna(), "income"] = 0.0', 'isna(), "income"] = 1.0'),  # a missing income's fill
        "test_a_row_on_the_untaken_side_behaves_as_recorded[flag-income-isna-true]",
        False,
    ),
    (
        ('out["age"] < 18, "income"]', 'out["age"] > 18, "income"]'),
        "test_a_row_on_the_untaken_side_behaves_as_recorded[flag-age-lt-18-true]",
        True,
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("change", "failing", "golden_fails"), MUTATIONS)
def test_a_changed_feature_fails_its_edge_test(
    recorded: Path, tmp_path: Path, change: tuple[str, str], failing: str, golden_fails: bool
) -> None:
    import shutil

    package = tmp_path / "package"
    shutil.copytree(recorded, package)
    features = package / "src" / "pkg" / "features.py"
    text = features.read_text()
    assert text.count(change[0]) == 1, change[0]
    features.write_text(text.replace(*change))

    done = _pytest(package, "tests/test_edges.py", "tests/test_golden.py")

    assert f"FAILED tests/test_edges.py::{failing}" in done.stdout, done.stdout[-3000:]
    golden = "FAILED tests/test_golden.py" in done.stdout
    assert golden is golden_fails, done.stdout[-3000:]
