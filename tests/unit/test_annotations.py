"""Captured types -> annotations of the generated package (nb2prod/convert/annotations.py).

Also the capture side: the type names the hooks record (programs/capture_hooks.py), and how
the two runs' types combine (verify/values.py `boundary_types`).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier

from nb2prod.convert.annotations import (
    ANY,
    Annotation,
    Annotations,
    annotate_module,
    annotation,
    importable_modules,
    same_but_annotations,
)
from nb2prod.convert.plan import Plan
from nb2prod.verify import capture
from nb2prod.verify.programs import program
from nb2prod.verify.values import boundary_types

IMPORTABLE = frozenset({"pandas", "numpy", "sklearn", *sys.stdlib_module_names})

# captured type -> (annotation in a module importing nothing, imports under TYPE_CHECKING)
CASES: list[tuple[str, str, list[str]]] = [
    ("pandas.DataFrame", "pd.DataFrame", ["import pandas as pd"]),
    ("pandas.Series", "pd.Series", ["import pandas as pd"]),
    ("numpy.ndarray", "np.ndarray", ["import numpy as np"]),
    ("numpy.float64", "float", []),
    ("numpy.float32", "float", []),
    ("numpy.int64", "int", []),
    ("numpy.uint8", "int", []),
    ("numpy.bool", "bool", []),
    ("numpy.str_", "str", []),
    ("builtins.float", "float", []),
    ("builtins.int", "int", []),
    ("builtins.str", "str", []),
    ("builtins.NoneType", "None", []),
    (
        "sklearn.ensemble.GradientBoostingClassifier",
        "GradientBoostingClassifier",
        ["from sklearn.ensemble import GradientBoostingClassifier"],
    ),
    ("numpy.random.Generator", "Generator", ["from numpy.random import Generator"]),
    ("pathlib.PosixPath", "PosixPath", ["from pathlib import PosixPath"]),
    (
        "builtins.tuple[pandas.DataFrame, numpy.ndarray, builtins.float]",
        "tuple[pd.DataFrame, np.ndarray, float]",
        ["import numpy as np", "import pandas as pd"],
    ),
    ("builtins.tuple[builtins.int, ...]", "tuple[int, ...]", []),
    ("builtins.tuple", "tuple[Any, ...]", []),
    ("builtins.list[builtins.str]", "list[str]", []),
    ("builtins.list", "list[Any]", []),
    ("builtins.dict[builtins.str, numpy.float64]", "dict[str, float]", []),
    ("builtins.set[builtins.int]", "set[int]", []),
    # Any: private module, the notebook's own class, a library the package does not import,
    # not a class the code can name, a local class, nothing captured
    ("sklearn.ensemble._gb.GradientBoostingClassifier", "Any", []),
    ("__main__.Applicant", "Any", []),
    ("xgboost.XGBClassifier", "Any", []),
    ("builtins.function", "Any", []),
    ("builtins.list[__main__.Applicant]", "list[Any]", []),
    ("train.<locals>.Model", "Any", []),
    ("", "Any", []),
]

MODULE = '''"""A generated module."""

from __future__ import annotations

from typing import Any

from pkg.config import Config


def step(x: Any, config: Config) -> Any:
    """Features step."""
    return x
'''


def _one(captured: str, module: str = MODULE) -> tuple[str, str, list[str]]:
    """(parameter annotation, return annotation, TYPE_CHECKING imports) after annotating."""
    typed = annotation(captured, IMPORTABLE)
    text = annotate_module(
        module, Annotations({"step": {"x": typed}}, {"step": {"x": typed}}, {}), "pkg"
    )
    tree = ast.parse(text)
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    assert function.args.args[0].annotation is not None and function.returns is not None
    guarded = next(
        (
            n
            for n in tree.body
            if isinstance(n, ast.If)
            and isinstance(n.test, ast.Name)
            and n.test.id == "TYPE_CHECKING"
        ),
        None,
    )
    imports = [ast.unparse(n) for n in guarded.body] if guarded else []
    return ast.unparse(function.args.args[0].annotation), ast.unparse(function.returns), imports


@pytest.mark.parametrize(("captured", "expected", "imports"), CASES)
def test_captured_type_becomes_annotation(captured: str, expected: str, imports: list[str]) -> None:
    param, returned, guarded = _one(captured)
    assert param == expected
    assert returned == expected
    assert guarded == imports


def test_imports_only_under_type_checking_and_text_compiles() -> None:
    text = annotate_module(
        MODULE,
        Annotations({"step": {"x": annotation("pandas.DataFrame", IMPORTABLE)}}, {}, {}),
        "pkg",
    )
    tree = ast.parse(text)
    runtime = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert "import pandas as pd" not in runtime  # importing the module runs what it ran
    assert "from typing import TYPE_CHECKING" in runtime
    compile(text, "m.py", "exec")
    assert same_but_annotations(text, MODULE)
    assert not same_but_annotations(text, MODULE.replace("return x", "return x + 1"))


def test_a_name_the_module_uses_at_run_time_is_reused() -> None:
    module = MODULE.replace(
        "from pkg.config import Config\n",
        "from sklearn.ensemble import GradientBoostingClassifier\n\nfrom pkg.config import Config\n",
    ).replace("return x", "return GradientBoostingClassifier()")
    typed = annotation("sklearn.ensemble.GradientBoostingClassifier", IMPORTABLE)
    text = annotate_module(module, Annotations({}, {"step": {"m": typed}}, {}), "pkg")
    assert "-> GradientBoostingClassifier:" in text
    assert "TYPE_CHECKING" not in text


def test_a_taken_alias_falls_back_to_another_name() -> None:
    module = MODULE.replace(
        "from pkg.config import Config\n", "from pkg.config import Config\n\npd = 3\n"
    )
    param, _, imports = _one("pandas.DataFrame", module)
    assert (param, imports) == ("DataFrame", ["from pandas import DataFrame"])
    taken = module.replace("pd = 3", "pd = 3\nDataFrame = 4\npandas = 5")
    assert _one("pandas.DataFrame", taken)[0] == "Any"


def test_results_fields_are_typed_and_optional() -> None:
    pipeline = """from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Results:
    df: Any = None
    auc: Any = None
    nothing: Any = None
    other: Any = None
"""
    results = {
        "df": annotation("pandas.DataFrame", IMPORTABLE),
        "auc": annotation("numpy.float64", IMPORTABLE),
        "nothing": annotation("builtins.NoneType", IMPORTABLE),
        "other": ANY,
    }
    text = annotate_module(pipeline, Annotations({}, {}, results), "pkg", results=True)
    assert "df: pd.DataFrame | None = None" in text
    assert "auc: float | None = None" in text
    assert "nothing: None = None" in text
    assert "other: Any = None" in text
    assert annotate_module(pipeline, Annotations({}, {}, results), "pkg") == pipeline  # not asked


def test_counts() -> None:
    typed = Annotation("float")
    assert Annotations(
        {"f": {"a": typed, "b": ANY}}, {"f": {"c": typed}}, {"c": typed}
    ).counts() == (3, 1)


def test_hooks_name_types_by_their_public_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NB2PROD_CAPTURE_DIR", str(tmp_path))
    namespace: dict[str, Any] = {}
    exec(program("capture_hooks"), namespace)  # the code injected into both runs
    values = {
        "frame": pd.DataFrame({"a": [1]}),
        "array": np.zeros(2),
        "auc": np.float64(0.5),
        "model": GradientBoostingClassifier(),
        "pair": (pd.Series([1.0]), 3),
        "names": ["a", "b"],
        "mixed": [1, "a"],
        "rng": np.random.default_rng(0),
    }
    namespace["__nb2prod_capture__"]("step", {k: (lambda v=v: v) for k, v in values.items()})

    def unbound() -> object:
        raise NameError("name 'df' is not defined")  # as a getter of a name not yet bound

    namespace["__nb2prod_arguments__"]("step", {"frame": lambda: values["frame"], "df": unbound})
    captured = capture.read_captures(tmp_path)
    assert captured.types["step"] == {
        "frame": "pandas.DataFrame",
        "array": "numpy.ndarray",
        "auc": "numpy.float64",
        "model": "sklearn.ensemble.GradientBoostingClassifier",
        "pair": "builtins.tuple[pandas.Series, builtins.int]",
        "names": "builtins.list[builtins.str]",
        "mixed": "builtins.list",
        "rng": "numpy.random.Generator",
    }
    assert captured.arguments["step"] == {"frame": "pandas.DataFrame"}  # an unbound name: none


def _function(name: str, params: tuple[str, ...], returns: tuple[str, ...]) -> SimpleNamespace:
    return SimpleNamespace(name=name, params=params, returns=returns)


def test_boundary_types_agree_between_runs() -> None:
    plan = cast(
        Plan,
        SimpleNamespace(
            functions=(
                _function("load", (), ("df",)),
                _function("prep", ("df",), ("df", "n")),
                _function("fit", ("df", "n"), ("model",)),
            )
        ),
    )
    notebook = capture.Captured(
        {},
        (),
        types={
            "load": {"df": "pandas.DataFrame"},
            "prep": {"df": "pandas.DataFrame", "n": "builtins.int"},
            "fit": {"model": "__main__.Model"},
        },
        arguments={"prep": {"df": "pandas.DataFrame"}, "fit": {"df": "pandas.DataFrame"}},
    )
    package = capture.Captured(
        {},
        (),
        types={
            "load": {"df": "pandas.DataFrame"},
            "prep": {"df": "pandas.DataFrame", "n": "numpy.int64"},  # the runs disagree
            "fit": {"model": "pkg.model.Model"},
        },
    )
    found = boundary_types(plan, notebook, package)
    assert dict(found["prep"].params) == {"df": "pandas.DataFrame"}
    assert dict(found["prep"].returns) == {"df": "pandas.DataFrame"}  # n: disagree, left out
    # fit's `n` is what prep returned: the package passes int64, the notebook's was not recorded
    assert dict(found["fit"].params) == {"df": "pandas.DataFrame", "n": "numpy.int64"}
    assert dict(found["fit"].returns) == {}


def test_modules_the_run_loaded_may_be_named() -> None:
    plan = cast(Plan, SimpleNamespace(imports=()))
    assert "numpy" not in importable_modules(plan)  # nothing imported, nothing loaded
    assert "numpy" in importable_modules(plan, ["numpy.linalg", "sklearn"])
    assert "__main__" not in importable_modules(plan, ["__main__"])
