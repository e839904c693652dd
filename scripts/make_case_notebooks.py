"""Generate the rule test-case notebooks in sample_notebooks/cases/.

Each case is a tiny notebook that shows one rule firing (`<CODE>_fires_<slug>`)
or a look-alike that must stay silent (`<CODE>_clean_<slug>`). The expected
findings live inside the notebook, in its metadata:

    "nb2prod_case": {"description": "...", "expect": ["NB101@3", ...]}

Each `expect` entry is `CODE@CELL`, CELL being the 0-based index over all cells
(markdown included). The set of (code, cell) pairs that `nb2prod check` reports
must equal the expected set exactly; an empty list means no findings at all.

Cells are written with deterministic ids (`c0`, `c1`, ...) so re-running this
script rewrites identical files (idempotent).

    .venv/bin/python scripts/make_case_notebooks.py          # (re)write all cases
    .venv/bin/python scripts/make_case_notebooks.py --check  # exit 1 if a file is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "sample_notebooks" / "cases"
_NAME = re.compile(r"^NB\d{3}_(fires|clean)_[a-z0-9_]+$")
_EXPECT = re.compile(r"^NB\d{3}@\d+$")

# ---------------------------------------------------------------- spec helpers


@dataclass
class Cell:
    kind: str  # "code" or "markdown"
    source: str
    count: int | None = None
    out: str | None = None  # stdout stream text
    result: str | None = None  # execute_result text/plain
    html: str | None = None  # display_data text/html
    error: tuple[str, str] | None = None  # (ename, evalue)
    tags: list[str] = field(default_factory=list)


def md(text: str) -> Cell:
    return Cell("markdown", dedent(text).strip("\n"))


def code(
    count: int | None,
    source: str,
    *,
    out: str | None = None,
    result: str | None = None,
    html: str | None = None,
    error: tuple[str, str] | None = None,
    tags: list[str] | None = None,
) -> Cell:
    return Cell(
        "code",
        dedent(source).strip("\n") if source.strip() else source,
        count,
        out,
        result,
        html,
        error,
        list(tags or []),
    )


@dataclass
class Case:
    name: str
    description: str
    expect: list[str]
    cells: list[Cell]


CASES: list[Case] = []


def case(name: str, description: str, expect: list[str], cells: list[Cell]) -> None:
    CASES.append(Case(name, description, expect, cells))


# ================================================================ NB101 out of order

case(
    "NB101_fires_rerun_above",
    "The loading cell was re-run ([3]) after the cell below printed its total ([2]): the "
    "stored total comes from the `df` of an earlier run (NB105), not the one the page shows.",
    ["NB101@2", "NB105@3"],
    [
        md("# Sales report"),
        code(1, "import pandas as pd"),
        code(3, 'df = pd.read_csv("sales.csv")'),
        code(2, 'print(df["amount"].sum())', out="200.5\n"),
    ],
)

case(
    "NB101_clean_linear",
    "Counts run 1, 2, 3 in page order with markdown in between: nothing to report.",
    [],
    [
        md("# Sales report"),
        code(1, "import pandas as pd"),
        code(2, 'df = pd.DataFrame({"region": ["north", "south"], "amount": [120.0, 80.5]})'),
        md("## Totals"),
        code(3, 'print(df["amount"].sum())', out="200.5\n"),
    ],
)

# ================================================================ NB102 unexecuted

case(
    "NB102_fires_skipped_cell",
    "A non-blank code cell was never executed while the cells around it were.",
    ["NB102@2"],
    [
        code(1, "import pandas as pd"),
        code(2, 'df = pd.read_csv("sales.csv")'),
        code(None, "clean = df.dropna()"),
        code(3, "df.describe()", result="       amount\ncount    42.0"),
    ],
)

case(
    "NB102_clean_never_run",
    "No code cell has an execution count (outputs cleared before commit), so nothing is reported.",
    [],
    [
        md("# Sales report"),
        code(None, "import pandas as pd"),
        code(None, 'df = pd.read_csv("sales.csv")'),
        code(None, "clean = df.dropna()"),
    ],
)

case(
    "NB102_clean_blank_cell",
    "Empty and whitespace-only code cells without a count are never reported.",
    [],
    [
        code(1, "import pandas as pd"),
        code(2, 'df = pd.read_csv("sales.csv")'),
        code(None, ""),
        code(None, "\n   \n"),
    ],
)

# ================================================================ NB103 use before definition

case(
    "NB103_fires_defined_below",
    "A cell reads `price`, which only a cell further down the page defines.",
    ["NB103@1"],
    [
        md("# Pricing"),
        code(None, "total = price * 3"),
        code(None, "price = 10"),
    ],
)

case(
    "NB103_fires_default_argument",
    "A default argument is evaluated when the def runs, so reading `FACTOR` there, defined below, "
    "is a use before definition.",
    ["NB103@0"],
    [
        code(
            None,
            """
            def scale(values, factor=FACTOR):
                return [v * factor for v in values]
        """,
        ),
        code(None, "FACTOR = 2"),
        code(None, "scale([1, 2, 3])"),
    ],
)

case(
    "NB103_clean_function_body",
    "`price` is read only inside a function body, and the function is called after the cell "
    "that defines `price`.",
    [],
    [
        code(
            1,
            """
            def total(qty):
                return price * qty
        """,
        ),
        code(2, "price = 10"),
        code(3, "total(3)", result="30"),
    ],
)

# ================================================================ NB104 undefined name

case(
    "NB104_fires_deleted_cell",
    "`clean` is read but no cell defines it (the defining cell was deleted).",
    ["NB104@1"],
    [
        code(1, "import pandas as pd"),
        code(2, 'df = clean(pd.read_csv("sales.csv"))'),
    ],
)

case(
    "NB104_fires_function_body",
    "A function body calls `normalise_columns`, which no cell defines; reads in function bodies "
    "count for NB104.",
    ["NB104@1"],
    [
        code(1, "import pandas as pd"),
        code(
            2,
            """
            def load_sales(path):
                return normalise_columns(pd.read_csv(path))
        """,
        ),
        code(3, 'sales = load_sales("sales.csv")'),
    ],
)

case(
    "NB104_fires_in_time_cell_magic",
    "The body of a %%time cell is Python and is analysed: `build_features` is defined nowhere.",
    ["NB104@1"],
    [
        code(
            1,
            """
            import numpy as np
            raw = np.arange(10)
        """,
        ),
        code(
            2,
            """
            %%time
            features = build_features(raw)
        """,
        ),
    ],
)

case(
    "NB104_clean_ipython_builtins",
    "`display`, `_`, `print` and `len` are provided by IPython or Python and need no defining cell.",
    [],
    [
        code(1, "import pandas as pd"),
        code(
            2,
            """
            df = pd.DataFrame({"amount": [120.0, 80.5, 99.9]})
            df.shape
        """,
            result="(3, 1)",
        ),
        code(
            3,
            """
            n_rows, n_cols = _
            display(df.head())
            print(len(df))
        """,
            out="3\n",
        ),
    ],
)

case(
    "NB104_clean_suppressed_comment",
    "An undefined name in a cell carrying `# nb2prod: ignore[NB104]` is not reported.",
    [],
    [
        code(1, "import pandas as pd"),
        code(
            2,
            """
            df = clean(pd.read_csv("sales.csv"))  # nb2prod: ignore[NB104]
        """,
        ),
    ],
)

case(
    "NB104_clean_suppressed_tag",
    "An undefined name in a cell tagged `nb2prod:ignore[NB104]` is not reported.",
    [],
    [
        code(1, "import pandas as pd"),
        code(2, 'df = clean(pd.read_csv("sales.csv"))', tags=["nb2prod:ignore[NB104]"]),
    ],
)

case(
    "NB104_clean_time_line_magic",
    "`%time result = train()` runs the assignment, so `result` is defined for the next cell.",
    [],
    [
        code(
            1,
            """
            def train():
                return sum(i * i for i in range(10_000))
        """,
        ),
        code(
            2,
            "%time result = train()",
            out="CPU times: user 1.2 ms, sys: 0 ns, total: 1.2 ms\nWall time: 1.2 ms\n",
        ),
        code(3, "print(result)", out="333283335000\n"),
    ],
)

case(
    "NB104_clean_shell_assign",
    "`files = !ls data` binds `files` to the command's output.",
    [],
    [
        code(1, "files = !ls data"),
        code(
            2,
            """
            csv_files = [f for f in files if f.endswith(".csv")]
            print(len(csv_files))
        """,
            out="2\n",
        ),
    ],
)

case(
    "NB104_clean_time_cell_magic",
    "Names bound in the body of a %%time cell are defined for the cells below.",
    [],
    [
        code(1, "import numpy as np"),
        code(
            2,
            """
            %%time
            squares = np.arange(1_000_000) ** 2
        """,
            out="CPU times: user 3.1 ms, sys: 1.9 ms, total: 5 ms\nWall time: 4.8 ms\n",
        ),
        code(3, "print(squares[:3])", out="[0 1 4]\n"),
    ],
)

case(
    "NB104_clean_store_r_named",
    "`%store -r sales_df` defines `sales_df` (and, naming what it restores, hides nothing).",
    [],
    [
        code(1, "%store -r sales_df"),
        code(2, "sales_df.head()", result="  region  amount\n0  north   120.0"),
    ],
)

# ================================================================ NB105 stale output

case(
    "NB105_fires_upstream_rerun",
    "Cell 0 was edited and re-run ([3]) after cell 1 produced its stored output ([2]), so that "
    "output reflects an older `rate`.",
    ["NB101@0", "NB105@1", "NB107@1"],
    [
        code(3, "rate = 0.25"),
        code(
            2,
            """
            price = 100 * (1 + rate)
            price
        """,
            result="120.0",
        ),
    ],
)

case(
    "NB105_fires_inplace_upstream",
    "A cell above changed `prices` in place ([3]) after the cell below printed it ([2]); the "
    "in-place append also makes that cell non-idempotent.",
    ["NB101@1", "NB105@2", "NB106@1"],
    [
        code(1, "prices = [100, 120]"),
        code(3, "prices.append(95)"),
        code(2, "print(len(prices))", out="2\n"),
    ],
)

case(
    "NB105_clean_no_outputs",
    "Same counts as the stale case, but the downstream cell has no stored output, so nothing "
    "can be stale (the order is still reported).",
    ["NB101@0", "NB107@1"],
    [
        code(3, "rate = 0.25"),
        code(2, "price = 100 * (1 + rate)"),
    ],
)

case(
    "NB105_clean_redefined_below",
    "`rate` is redefined by a cell BELOW that ran later; only definitions above make an output "
    "stale, and the output used the definition above.",
    [],
    [
        code(1, "rate = 0.2"),
        code(
            2,
            """
            price = 100 * (1 + rate)
            print(price)
        """,
            out="120.0\n",
        ),
        code(3, "rate = 0.25"),
    ],
)

# ================================================================ NB106 non-idempotent

case(
    "NB106_fires_augmented",
    "`total_sales += amount` accumulates onto a value bound in another cell; a second run "
    "doubles it.",
    ["NB106@1"],
    [
        code(1, "total_sales = 0.0"),
        code(
            2,
            """
            for amount in [12.5, 40.0, 7.25]:
                total_sales += amount
        """,
        ),
        code(3, "print(total_sales)", out="59.75\n"),
    ],
)

case(
    "NB106_fires_column_doubling",
    "`df['a'] = df['a'] * 2` stores an item computed from the same item of a frame bound elsewhere.",
    ["NB106@1"],
    [
        code(
            1,
            """
            import pandas as pd
            df = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
        """,
        ),
        code(2, 'df["a"] = df["a"] * 2'),
    ],
)

case(
    "NB106_fires_inplace_true",
    "`df.drop(columns=['notes'], inplace=True)` changes a frame bound in another cell in place; "
    "a second run raises KeyError, the column being gone.",
    ["NB106@1"],
    [
        code(
            1,
            """
            import pandas as pd
            df = pd.DataFrame({"amount": [120.0, None, 99.9], "notes": ["a", "b", "c"]})
        """,
        ),
        code(2, 'df.drop(columns=["notes"], inplace=True)'),
        code(3, "print(len(df.columns))", out="1\n"),
    ],
)

case(
    "NB106_clean_idempotent_inplace",
    "`df.dropna(inplace=True)` and `df = df.fillna(0)` give the same frame when run again: "
    "idempotent, not reported.",
    [],
    [
        code(
            1,
            """
            import pandas as pd
            df = pd.DataFrame({"amount": [120.0, None, 99.9], "fee": [1.0, None, 2.0]})
        """,
        ),
        code(2, "df.dropna(subset=['amount'], inplace=True)\ndf = df.fillna(0)"),
        code(3, "print(len(df))", out="2\n"),
    ],
)

case(
    "NB106_fires_self_rebind_drop",
    "`df = df.drop(columns=['notes'])` rebinds `df` from itself; a second run raises KeyError.",
    ["NB106@1"],
    [
        code(
            1,
            """
            import pandas as pd
            df = pd.DataFrame({"amount": [120.0, 80.5], "notes": ["ok", "late"]})
        """,
        ),
        code(2, 'df = df.drop(columns=["notes"])'),
    ],
)

case(
    "NB106_fires_append_other_cell",
    "`.append` on a list that another cell created grows it on every run.",
    ["NB106@1"],
    [
        code(1, "scores = []"),
        code(2, "scores.append(0.91)"),
        code(3, "print(scores)", out="[0.91]\n"),
    ],
)

case(
    "NB106_clean_derived_column",
    "`df['c'] = df['a'] + df['b']` writes a new column from other columns; rerunning gives the "
    "same result.",
    [],
    [
        code(
            1,
            """
            import pandas as pd
            df = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
        """,
        ),
        code(2, 'df["c"] = df["a"] + df["b"]'),
    ],
)

case(
    "NB106_clean_init_and_append",
    "The cell binds `items` before appending to it, so every run starts from an empty list.",
    [],
    [
        code(
            1,
            """
            items = []
            items.append(1)
            for n in range(2, 4):
                items.append(n)
        """,
        ),
        code(2, "print(items)", out="[1, 2, 3]\n"),
    ],
)

# ================================================================ NB107 count gap

case(
    "NB107_fires_gap",
    "Count jumps from 1 to 4: two executions are not on the page.",
    ["NB107@1"],
    [
        code(1, "import numpy as np"),
        code(4, "x = np.arange(10)"),
    ],
)

case(
    "NB107_fires_first_count",
    "The first executed cell has count 5; the walk starts from 0, so that is already a gap.",
    ["NB107@1"],
    [
        md("# Arrays"),
        code(5, "import numpy as np"),
        code(6, "x = np.arange(10)"),
    ],
)

case(
    "NB107_clean_markdown_between",
    "Markdown cells between code cells do not break consecutive counts 1, 2, 3.",
    [],
    [
        md("# Arrays"),
        code(1, "import numpy as np"),
        md("Build the data."),
        code(2, "x = np.arange(10)"),
        md("Summarise."),
        code(3, "print(x.sum())", out="45\n"),
    ],
)

# ================================================================ NB108 redefinition from below

case(
    "NB108_fires_threshold",
    "The print in cell 1 ([3]) used `threshold` from cell 2 below ([2]), not from cell 0 above.",
    ["NB101@1", "NB108@1"],
    [
        code(1, "threshold = 0.5"),
        code(3, "print(threshold)", out="0.8\n"),
        code(2, "threshold = 0.8"),
    ],
)

case(
    "NB108_clean_redefined_later",
    "The redefinition below ran after the reader ([3] > [2]), so it did not affect its output.",
    [],
    [
        code(1, "threshold = 0.5"),
        code(2, "print(threshold)", out="0.5\n"),
        code(3, "threshold = 0.8"),
    ],
)

# ================================================================ NB109 unseeded randomness

case(
    "NB109_fires_stdlib_random",
    "`random.randint` is called with no `random.seed(...)` before it.",
    ["NB109@1"],
    [
        code(1, "import random"),
        code(
            2,
            """
            dice = [random.randint(1, 6) for _ in range(5)]
            print(sum(dice))
        """,
            out="15\n",
        ),
    ],
)

case(
    "NB109_clean_stdlib_seeded",
    "`random.seed(42)` runs above the draw, so the results are reproducible.",
    [],
    [
        code(
            1,
            """
            import random
            random.seed(42)
        """,
        ),
        code(
            2,
            """
            dice = [random.randint(1, 6) for _ in range(5)]
            print(sum(dice))
        """,
            out="17\n",
        ),
    ],
)

case(
    "NB109_fires_numpy_legacy",
    "`np.random.normal` draws from numpy's global generator with no `np.random.seed(...)` before.",
    ["NB109@1"],
    [
        code(1, "import numpy as np"),
        code(
            2,
            """
            noise = np.random.normal(0, 1, size=100)
            print(noise.mean().round(3))
        """,
            out="-0.042\n",
        ),
    ],
)

case(
    "NB109_clean_numpy_seeded",
    "`np.random.seed(0)` precedes the legacy draw, and `default_rng(42)` is given a seed.",
    [],
    [
        code(
            1,
            """
            import numpy as np
            np.random.seed(0)
        """,
        ),
        code(
            2,
            """
            noise = np.random.normal(0, 1, size=100)
            print(noise.mean().round(3))
        """,
            out="0.06\n",
        ),
        code(
            3,
            """
            rng = np.random.default_rng(42)
            sample = rng.choice(10, size=3)
        """,
        ),
    ],
)

case(
    "NB109_fires_default_rng_no_seed",
    "`np.random.default_rng()` without a seed is unseeded even after `np.random.seed(0)`, which "
    "only seeds the legacy global generator.",
    ["NB109@1"],
    [
        code(
            1,
            """
            import numpy as np
            np.random.seed(0)
        """,
        ),
        code(
            2,
            """
            rng = np.random.default_rng()
            sample = rng.integers(0, 10, size=3)
            print(sample.sum())
        """,
            out="14\n",
        ),
    ],
)

case(
    "NB109_fires_sklearn_alias",
    "`RF` is `RandomForestClassifier` imported under an alias, constructed without random_state.",
    ["NB109@2"],
    [
        code(
            1,
            """
            from sklearn.datasets import make_classification
            from sklearn.ensemble import RandomForestClassifier as RF
        """,
        ),
        code(2, "X, y = make_classification(n_samples=200, n_features=8, random_state=0)"),
        code(
            3,
            """
            model = RF(n_estimators=100)
            model.fit(X, y)
            print(model.score(X, y))
        """,
            out="1.0\n",
        ),
    ],
)

case(
    "NB109_fires_sklearn_split",
    "`train_test_split(X, y)` shuffles without random_state and no global seed.",
    ["NB109@2"],
    [
        code(
            1,
            """
            from sklearn.datasets import make_classification
            from sklearn.model_selection import train_test_split
        """,
        ),
        code(2, "X, y = make_classification(n_samples=200, random_state=0)"),
        code(
            3,
            """
            X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
            print(X_train.mean())
        """,
            out="0.0312\n",
        ),
    ],
)

case(
    "NB109_clean_sklearn_random_state",
    "Every scikit-learn call that takes random_state gets one; LinearRegression takes none.",
    [],
    [
        code(
            1,
            """
            from sklearn.datasets import make_regression
            from sklearn.ensemble import RandomForestRegressor
            from sklearn.linear_model import LinearRegression
            from sklearn.model_selection import train_test_split
        """,
        ),
        code(
            2,
            """
            X, y = make_regression(n_samples=200, n_features=5, random_state=0)
            X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
        """,
        ),
        code(
            3,
            """
            linear = LinearRegression().fit(X_train, y_train)
            forest = RandomForestRegressor(n_estimators=50, random_state=0).fit(X_train, y_train)
            print(round(linear.score(X_test, y_test), 3))
        """,
            out="1.0\n",
        ),
    ],
)

case(
    "NB109_clean_sklearn_np_seed",
    "`np.random.seed(0)` above counts as seeding both the numpy draw and `KMeans(3)` without "
    "random_state.",
    [],
    [
        code(
            1,
            """
            import numpy as np
            from sklearn.cluster import KMeans
            np.random.seed(0)
        """,
        ),
        code(2, "X = np.random.rand(100, 2)"),
        code(
            3,
            """
            km = KMeans(3, n_init=10).fit(X)
            print(sorted(np.bincount(km.labels_)))
        """,
            out="[30, 33, 37]\n",
        ),
    ],
)

case(
    "NB109_fires_torch_randn",
    "`torch.randn` is called with no `torch.manual_seed(...)` before it.",
    ["NB109@1"],
    [
        code(1, "import torch"),
        code(
            2,
            """
            weights = torch.randn(3, 4)
            print(weights.sum())
        """,
            out="tensor(-1.2871)\n",
        ),
    ],
)

case(
    "NB109_clean_torch_manual_seed",
    "`torch.manual_seed(0)` runs before `torch.randn`.",
    [],
    [
        code(
            1,
            """
            import torch
            torch.manual_seed(0)
        """,
        ),
        code(
            2,
            """
            weights = torch.randn(3, 4)
            print(weights.sum())
        """,
            out="tensor(-1.2871)\n",
        ),
    ],
)

# ================================================================ NB110 hidden origin

case(
    "NB110_fires_star_import",
    "`load_sales` is defined by no visible cell and may come from the star import (NB110, not NB104).",
    ["NB110@1"],
    [
        code(1, "from helpers import *"),
        code(2, 'df = load_sales("sales.csv")'),
    ],
)

case(
    "NB110_fires_run_magic",
    "`X_train` may come from the script run by `%run`.",
    ["NB110@1"],
    [
        code(1, "%run ./setup_data.py"),
        code(2, "print(X_train.shape)", out="(150, 4)\n"),
    ],
)

case(
    "NB110_fires_store_bare",
    "`%store -r` without names restores every stored variable, so `sales_df` has a hidden origin.",
    ["NB110@1"],
    [
        code(1, "%store -r"),
        code(2, "sales_df.head()", result="  region  amount\n0  north   120.0"),
    ],
)

case(
    "NB110_fires_exec",
    "`exec` of a config file may define `LEARNING_RATE`; no visible cell does.",
    ["NB110@1"],
    [
        code(
            1,
            """
            with open("config.py") as fh:
                exec(fh.read())
        """,
        ),
        code(2, "print(LEARNING_RATE)", out="0.01\n"),
    ],
)

case(
    "NB110_clean_star_import_all_visible",
    "A star import is present, but every name the cells read is defined by a visible cell or "
    "is a builtin.",
    [],
    [
        code(1, "from math import *"),
        code(2, "radius = 2.0"),
        code(
            3,
            """
            area = round(radius ** 2 * 3.14159, 2)
            print(area)
        """,
            out="12.57\n",
        ),
    ],
)

# ================================================================ NB111 absolute / user paths

case(
    "NB111_fires_absolute_read_csv",
    "`pd.read_csv` is given an absolute path under /home.",
    ["NB111@1"],
    [
        code(1, "import pandas as pd"),
        code(2, 'df = pd.read_csv("/home/alice/data/sales.csv")'),
    ],
)

case(
    "NB111_fires_home_and_windows",
    "A home-relative path assigned to `DATA_DIR` and a Windows drive path passed to open().",
    ["NB111@0", "NB111@1"],
    [
        code(1, 'DATA_DIR = "~/projects/churn/data"'),
        code(
            2,
            """
            with open(r"C:\\Users\\alice\\churn\\labels.csv") as fh:
                header = fh.readline()
        """,
        ),
        code(3, "print(header)", out="customer_id,churned\n"),
    ],
)

case(
    "NB111_clean_relative_and_url",
    "Relative paths and URLs are portable, and an absolute-looking API route that is neither "
    "file I/O nor a path-like name is not a path.",
    [],
    [
        code(1, "import pandas as pd"),
        code(
            2,
            """
            sales = pd.read_csv("data/sales.csv")
            tips = pd.read_csv("https://raw.githubusercontent.com/mwaskom/seaborn-data/master/tips.csv")
        """,
        ),
        code(
            3,
            """
            endpoint = "/api/v1/orders"
            sales.to_csv("output/sales_clean.csv", index=False)
        """,
        ),
    ],
)

# ================================================================ NB112 does not parse

case(
    "NB112_fires_syntax_error",
    "A `for` statement is missing its colon, so the cell is not valid Python.",
    ["NB112@1"],
    [
        code(1, "prices = [10, 12, 9]"),
        code(
            2,
            """
            for p in prices
                print(p)
        """,
            error=("SyntaxError", "expected ':'"),
        ),
    ],
)

case(
    "NB112_fires_time_cell_body",
    "The body of a %%time cell is Python run by IPython; an unclosed parenthesis there does "
    "not parse.",
    ["NB112@0"],
    [
        code(
            1,
            """
            %%time
            total = sum(range(10)
        """,
            error=("SyntaxError", "'(' was never closed"),
        ),
    ],
)

case(
    "NB112_clean_cell_magics",
    "Cell magics with a non-Python body (%%bash, %%html, %%writefile) are not syntax errors.",
    [],
    [
        code(
            1,
            """
            %%bash
            for f in data/*.csv; do
              wc -l "$f"
            done
        """,
            out="42 data/sales.csv\n",
        ),
        code(
            2,
            """
            %%html
            <b>Quarterly report</b>
        """,
            html="<b>Quarterly report</b>\n",
        ),
        code(
            3,
            """
            %%writefile helpers.py
            def double(x):
                return 2 * x
        """,
            out="Writing helpers.py\n",
        ),
    ],
)

case(
    "NB112_clean_line_magics_and_shell",
    "Line magics and shell escapes are translated by IPython and parse fine.",
    [],
    [
        code(
            1,
            """
            %matplotlib inline
            import matplotlib.pyplot as plt
        """,
        ),
        code(2, "!pip install -q seaborn"),
        code(
            3,
            """
            plt.plot([1, 2, 3], [2, 4, 1])
            plt.show()
        """,
        ),
    ],
)


# ---------------------------------------------------------------- writing


def _outputs(cell: Cell) -> list[Any]:
    outputs: list[Any] = []
    if cell.out is not None:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=cell.out))
    if cell.result is not None:
        outputs.append(
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": cell.result}, execution_count=cell.count
            )
        )
    if cell.html is not None:
        outputs.append(
            nbformat.v4.new_output(
                "display_data",
                data={"text/html": cell.html, "text/plain": "<IPython.core.display.HTML object>"},
            )
        )
    if cell.error is not None:
        ename, evalue = cell.error
        outputs.append(
            nbformat.v4.new_output(
                "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
            )
        )
    return outputs


def build(spec: Case) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = {
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
        "nb2prod_case": {"description": spec.description, "expect": spec.expect},
    }
    for index, cell in enumerate(spec.cells):
        if cell.kind == "markdown":
            node = nbformat.v4.new_markdown_cell(cell.source)
        else:
            node = nbformat.v4.new_code_cell(
                cell.source, execution_count=cell.count, outputs=_outputs(cell)
            )
            if cell.tags:
                node.metadata["tags"] = list(cell.tags)
        node.id = f"c{index}"
        nb.cells.append(node)
    nbformat.validate(nb)
    return nb


def _validate_spec(spec: Case) -> None:
    assert _NAME.match(spec.name), spec.name
    assert spec.description.strip(), spec.name
    for entry in spec.expect:
        assert _EXPECT.match(entry), (spec.name, entry)
        index = int(entry.split("@")[1])
        assert index < len(spec.cells), (spec.name, entry)
    assert len(set(spec.expect)) == len(spec.expect), spec.name


def _sorted_expect(expect: list[str]) -> list[str]:
    return sorted(expect, key=lambda e: (int(e.split("@")[1]), e.split("@")[0]))


def render(spec: Case) -> str:
    spec.expect = _sorted_expect(spec.expect)
    return nbformat.writes(build(spec)) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="report out-of-date files, write nothing"
    )
    args = parser.parse_args(argv)

    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    CASES_DIR.mkdir(parents=True, exist_ok=True)
    stale: list[str] = []
    for spec in CASES:
        _validate_spec(spec)
        path = CASES_DIR / f"{spec.name}.ipynb"
        text = render(spec)
        if path.exists() and path.read_text("utf-8") == text:
            continue
        stale.append(path.name)
        if not args.check:
            path.write_text(text, "utf-8")
    extra = sorted(p.name for p in CASES_DIR.glob("*.ipynb") if p.stem not in set(names))
    for name in extra:
        print(f"note: {name} is not generated by this script", file=sys.stderr)
    if args.check:
        for name in stale:
            print(f"out of date: {name}", file=sys.stderr)
        return 1 if stale else 0
    print(f"{len(CASES)} cases in {CASES_DIR.relative_to(ROOT)} ({len(stale)} written)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
