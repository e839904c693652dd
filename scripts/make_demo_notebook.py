"""Build sample_notebooks/demo/credit_approval.ipynb: a deliberately messy notebook.

The notebook is what a data scientist might leave behind: synthetic credit
applicants, a little exploration, features, a gradient-boosting model and some
approval rules.  It carries hidden-state problems on purpose (see PROBLEMS below
and the generated README.md), yet still runs top to bottom in a fresh kernel.

How it is made:

1. The cells are defined here, in Python.
2. The code cells are executed with a real kernel (nbclient) in a temporary copy
   of sample_notebooks/demo/, in the non-linear order in RUN_ORDER, so the stored
   outputs and execution counts are genuine.  One cell is never executed.
3. The notebook is written as nbformat 4.5 with stable ids (cell-00, cell-01, ...,
   matching the 0-based cell index), and README.md is written beside it.
4. The finished notebook is run again top to bottom, in a fresh kernel, in
   another temporary copy; the script fails if any cell raises.

Determinism: the data comes from numpy.random.default_rng(42) inside the
notebook.  The gradient-boosting model has no random_state on purpose, so before
running RUN_ORDER the script seeds the kernel's global numpy generator with a
silent, unrecorded execution (store_history=False).  That stands in for "the
session the data scientist happened to have" and makes the stored outputs the
same on every run of this script.  Nothing prints times.

Usage (from the repository root):

    .venv/bin/python scripts/make_demo_notebook.py [--check]

--check rebuilds into a temporary folder and exits 1 if the committed notebook
or README differs (the figure's PNG bytes are compared too, so a different
matplotlib version can make this fail).

Needs: nbformat, nbclient, ipykernel (a "python3" kernel), numpy, pandas,
scikit-learn and matplotlib in the interpreter that runs the kernel.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.util import run_sync
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "sample_notebooks" / "demo"
NOTEBOOK_NAME = "credit_approval.ipynb"
KERNEL_NAME = "python3"
TIMEOUT = 120

# Seeds numpy's global RandomState in the kernel without touching the execution
# counter; see the module docstring.
HIDDEN_SETUP = "import numpy as _np\n_np.random.seed(1234)\ndel _np"

# ---------------------------------------------------------------------------
# The cells, in page order.  ("md" | "code", source)
# ---------------------------------------------------------------------------
CELLS: list[tuple[str, str]] = [
    # 0
    (
        "md",
        """\
# Credit approval — PD model + approval rules

Scratch notebook for the credit approval rules. Applicant data is simulated here until we get
the extract from the data warehouse.

TODO: clean this up before handing over to engineering""",
    ),
    # 1
    (
        "code",
        """\
import os

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import roc_auc_score

%matplotlib inline""",
    ),
    # 2
    (
        "code",
        """\
# parameters
DATA_DIR = "data"
DATA_PATH = os.path.join(DATA_DIR, "applicants.csv")
N_APPLICANTS = 2000
SEED = 42
TEST_SIZE = 0.25

PD_THRESHOLD = 0.20         # approve only if probability of default is below this
MAX_LOAN_TO_INCOME = 0.5    # ... and the loan is at most half a year's income
LGD = 0.45                  # loss given default (unsecured)""",
    ),
    # 3
    (
        "md",
        """\
## Load data

No real extract yet, so generate applicants with a known default mechanism, write them to
`data/applicants.csv` and read them back like the real file will be.""",
    ),
    # 4
    (
        "code",
        """\
def generate_applicants(n, seed):
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 75, size=n)
    income = np.round(rng.lognormal(mean=10.8, sigma=0.45, size=n), -2)
    employment_years = np.clip(np.round(rng.gamma(2.0, 3.0, size=n), 1), 0, age - 18)
    debt = np.round(income * rng.beta(2, 5, size=n) * 1.2, -1)
    num_late_payments = rng.poisson(0.8, size=n)
    loan_amount = np.round(rng.uniform(2_000, 40_000, size=n), -2)
    # true default mechanism: logistic in a few ratios, plus noise
    z = (-3.9 + 2.5 * debt / income + 0.5 * num_late_payments + 2.0 * loan_amount / income
         - 0.05 * employment_years - 0.02 * (age - 40) + rng.normal(0, 0.5, size=n))
    p = 1 / (1 + np.exp(-z))
    default = (rng.random(n) < p).astype(int)
    df = pd.DataFrame({
        "applicant_id": np.arange(1, n + 1),
        "income": income,
        "debt": debt,
        "age": age,
        "employment_years": employment_years,
        "num_late_payments": num_late_payments,
        "loan_amount": loan_amount,
        "default": default,
    })
    # some applicants leave employment history blank
    df.loc[rng.random(n) < 0.05, "employment_years"] = np.nan
    return df""",
    ),
    # 5
    (
        "code",
        """\
raw = generate_applicants(N_APPLICANTS, SEED)
os.makedirs(DATA_DIR, exist_ok=True)
raw.to_csv(DATA_PATH, index=False)
print(f"wrote {len(raw)} applicants to {DATA_PATH}")""",
    ),
    # 6
    (
        "code",
        """\
df = pd.read_csv(DATA_PATH)
df.shape""",
    ),
    # 7
    (
        "md",
        """\
### Quick look""",
    ),
    # 8
    (
        "code",
        """\
df.head()""",
    ),
    # 9
    (
        "code",
        """\
df.describe()""",
    ),
    # 10  (never executed)
    (
        "code",
        """\
df.info()""",
    ),
    # 11
    (
        "code",
        """\
print("default rate:", round(df["default"].mean(), 3))
print("missing values:")
print(df.isna().sum()[lambda s: s > 0])""",
    ),
    # 12  (run three times while tweaking bins)
    (
        "code",
        """\
fig, ax = plt.subplots(figsize=(4, 3), dpi=60)
ax.hist(df["income"], bins=40, color="steelblue")
ax.set_title("Applicant income")
ax.set_xlabel("income ($)")
plt.show()""",
    ),
    # 13  (non-idempotent)
    (
        "code",
        """\
# amounts in $k are easier to read
df["income"] = df["income"] / 1000
df["debt"] = df["debt"] / 1000
df["loan_amount"] = df["loan_amount"] / 1000""",
    ),
    # 14
    (
        "md",
        """\
## Features""",
    ),
    # 15
    (
        "code",
        """\
def add_ratios(df):
    df = df.copy()
    df["debt_to_income"] = df["debt"] / df["income"]
    df["loan_to_income"] = df["loan_amount"] / df["income"]
    return df""",
    ),
    # 16  (re-run after the model)
    (
        "code",
        """\
AGE_BINS = [17, 25, 35, 50, 65, 120]
AGE_LABELS = ["18-25", "26-35", "36-50", "51-65", "65+"]


def add_age_bucket(df):
    df = df.copy()
    df["age_bucket"] = pd.cut(df["age"], bins=AGE_BINS, labels=AGE_LABELS)
    return df""",
    ),
    # 17  (re-run after the model)
    (
        "code",
        """\
df_feat = add_age_bucket(add_ratios(df))
df_feat["employment_years"] = df_feat["employment_years"].fillna(df_feat["employment_years"].median())
df_feat["log_income"] = np.log1p(df_feat["income"])
df_feat[["debt_to_income", "loan_to_income", "log_income"]].describe().round(3)""",
    ),
    # 18
    (
        "code",
        """\
FEATURES = [
    "income", "debt", "age", "employment_years", "num_late_payments", "loan_amount",
    "debt_to_income", "loan_to_income", "log_income",
]
X = df_feat[FEATURES]
y = df_feat["default"]
print(X.shape, "default rate", round(y.mean(), 3))""",
    ),
    # 19
    (
        "md",
        """\
## Model""",
    ),
    # 20
    (
        "code",
        """\
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=TEST_SIZE, random_state=SEED, stratify=y
)
len(X_train), len(X_test)""",
    ),
    # 21  (no random_state)
    (
        "code",
        """\
model = GradientBoostingClassifier(n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8)
model.fit(X_train, y_train);""",
    ),
    # 22
    (
        "code",
        """\
proba_test = model.predict_proba(X_test)[:, 1]
auc = roc_auc_score(y_test, proba_test)
print(f"test AUC: {auc:.3f}")""",
    ),
    # 23
    (
        "code",
        """\
pd.Series(model.feature_importances_, index=FEATURES).sort_values(ascending=False).round(3)""",
    ),
    # 24
    (
        "md",
        """\
## Business rules

Approve when PD < `PD_THRESHOLD` **and** loan-to-income < `MAX_LOAN_TO_INCOME`.
Expected loss = PD × loan amount × LGD (in $k, like the amounts).""",
    ),
    # 25
    (
        "code",
        """\
def decide(df, proba, pd_threshold=PD_THRESHOLD, max_lti=MAX_LOAN_TO_INCOME):
    out = df.copy()
    out["pd"] = proba
    out["approved"] = (out["pd"] < pd_threshold) & (out["loan_to_income"] < max_lti)
    out["expected_loss"] = out["pd"] * out["loan_amount"] * LGD
    return out""",
    ),
    # 26
    (
        "code",
        """\
scored = decide(df_feat.loc[X_test.index], proba_test)
print(f"approval rate: {scored['approved'].mean():.1%}")
print(f"expected loss on approved book: {scored.loc[scored['approved'], 'expected_loss'].sum():.1f} $k")""",
    ),
    # 27
    (
        "code",
        """\
summary = (
    scored.assign(el_approved=scored["expected_loss"].where(scored["approved"], 0.0))
    .groupby("age_bucket", observed=True)
    .agg(
        applicants=("approved", "size"),
        approval_rate=("approved", "mean"),
        expected_loss=("el_approved", "sum"),
    )
    .round(3)
)
summary""",
    ),
    # 28
    (
        "code",
        """\
# who gets declined? check the riskiest ones
scored.sort_values("pd", ascending=False)[
    ["applicant_id", "income", "loan_amount", "loan_to_income", "pd", "approved"]
].head(5).round(3)""",
    ),
]

# Order in which code cells (0-based page indices) are executed when the
# notebook is built.  Cell 12 runs three times (execution counts 9 and 10 are
# never seen); cells 16 and 17 are re-run after the model (cells 20-22); cell 10
# is never run.
RUN_ORDER: list[int] = [
    1,
    2,
    4,
    5,
    6,
    8,
    9,
    11,
    12,
    12,
    12,
    13,
    15,
    16,
    17,
    18,
    20,
    21,
    22,
    16,
    17,
    23,
    25,
    26,
    27,
    28,
]
UNEXECUTED = 10

# The deliberate problems: (cell index, kind, explanation).  Written to README.md
# and checked against the built notebook in _check_problems().
PROBLEMS: list[tuple[int, str, str]] = [
    (10, "unexecuted cell", "`df.info()` was never run: no execution count, no output."),
    (
        12,
        "execution-count gap",
        (
            "the histogram cell was run three times while tweaking it, so counts 9 and 10 appear "
            "nowhere on the page (the cell shows [11], the cell above [8])."
        ),
    ),
    (
        13,
        "non-idempotent cell",
        (
            '`df["income"] = df["income"] / 1000` (and `debt`, `loan_amount`) rescales a frame made '
            "in cell 6 in place; running it twice divides by 1,000,000."
        ),
    ),
    (
        16,
        "out of order (re-run after the model)",
        (
            "`AGE_BINS` / `add_age_bucket` re-run after the model cells: count [20] is larger than "
            "those of cells 18, 20, 21 and 22 below it."
        ),
    ),
    (
        17,
        "out of order (re-run after the model)",
        (
            "the feature cell (`df_feat = ...`, `pd.cut`, `fillna`, `log1p`) re-run after the model "
            "cells: count [21]. So cells 18 ([16]), 20 ([17]), 21 ([18]) and 22 ([19]) show counts lower "
            "than a cell above them, and the stored output of cell 18 predates the `df_feat` redefined "
            "by cell 17 (stale output)."
        ),
    ),
    (
        21,
        "unseeded randomness",
        (
            "`GradientBoostingClassifier(..., subsample=0.8)` without `random_state`: the model, AUC "
            "and approvals change from run to run."
        ),
    ),
]


def build_cells() -> list[nbformat.NotebookNode]:
    cells = []
    for index, (kind, source) in enumerate(CELLS):
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell.id = f"cell-{index:02d}"
        cells.append(cell)
    return cells


def _merge_streams(outputs: list) -> list:
    """Join consecutive stream outputs of the same name, so flush timing cannot split them."""
    merged: list = []
    for out in outputs:
        if (
            out.get("output_type") == "stream"
            and merged
            and merged[-1].get("output_type") == "stream"
            and merged[-1]["name"] == out["name"]
        ):
            merged[-1]["text"] += out["text"]
        else:
            merged.append(out)
    return merged


def _copy_demo_dir(dest: Path) -> None:
    """A working copy of the demo folder, without outputs of earlier runs."""
    if DEMO_DIR.exists():
        shutil.copytree(
            DEMO_DIR,
            dest,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("data", ".ipynb_checkpoints"),
        )
    dest.mkdir(parents=True, exist_ok=True)


def _raise_on_error(cell: nbformat.NotebookNode, index: int) -> None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            raise RuntimeError(f"cell {index} raised {out['ename']}: {out['evalue']}")


def execute_in_order(nb: nbformat.NotebookNode) -> None:
    """Run nb's code cells in RUN_ORDER in one kernel, inside a temporary demo copy."""
    with tempfile.TemporaryDirectory(prefix="nb2prod-demo-build-") as tmp:
        workdir = Path(tmp) / "demo"
        _copy_demo_dir(workdir)
        client = NotebookClient(
            nb,
            kernel_name=KERNEL_NAME,
            timeout=TIMEOUT,
            record_timing=False,
            allow_errors=False,
            resources={"metadata": {"path": str(workdir)}},
        )
        with client.setup_kernel():
            info = run_sync(client.async_wait_for_reply)(client.kc.kernel_info())
            nb.metadata["language_info"] = info["content"]["language_info"]
            # nbclient stores an executed cell back at its index, so the scratch cell gets
            # a slot of its own at the end and is removed again.
            nb.cells.append(new_code_cell(HIDDEN_SETUP))
            scratch = client.execute_cell(nb.cells[-1], len(nb.cells) - 1, store_history=False)
            nb.cells.pop()
            _raise_on_error(scratch, -1)
            assert len(nb.cells) == len(CELLS)  # (its reply reports count 1, but uses none)
            for index in RUN_ORDER:
                cell = nb.cells[index]
                assert cell.cell_type == "code", f"cell {index} is not code"
                client.execute_cell(cell, index)
                _raise_on_error(cell, index)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.outputs)
            cell.metadata.pop("execution", None)


def verify_fresh_run(nb: nbformat.NotebookNode) -> None:
    """Run a copy of the finished notebook top to bottom in a fresh kernel; fail on any error."""
    fresh = nbformat.reads(nbformat.writes(nb), as_version=4)  # deep copy
    with tempfile.TemporaryDirectory(prefix="nb2prod-demo-verify-") as tmp:
        workdir = Path(tmp) / "demo"
        _copy_demo_dir(workdir)
        NotebookClient(
            fresh,
            kernel_name=KERNEL_NAME,
            timeout=TIMEOUT,
            record_timing=False,
            allow_errors=False,
            resources={"metadata": {"path": str(workdir)}},
        ).execute()
        assert (workdir / "data" / "applicants.csv").is_file(), "the notebook did not write its CSV"
    counts = []
    for index, cell in enumerate(fresh.cells):
        if cell.cell_type == "code":
            _raise_on_error(cell, index)
            counts.append(cell.execution_count)
    assert counts == list(range(1, len(counts) + 1)), f"fresh run counts not linear: {counts}"


def _check_problems(nb: nbformat.NotebookNode) -> None:
    """Assert the built notebook really has the problems that PROBLEMS / README.md describe."""
    cells = nb.cells
    count = {i: c.execution_count for i, c in enumerate(cells) if c.cell_type == "code"}
    # unexecuted
    assert count[UNEXECUTED] is None and not cells[UNEXECUTED].outputs
    assert all(v is not None for i, v in count.items() if i != UNEXECUTED)
    # gap: counts 9 and 10 (cell 12's earlier runs) and 14, 15 (the first runs of
    # cells 16 and 17, overwritten by their re-runs) appear nowhere
    seen = sorted(v for v in count.values() if v is not None)
    assert sorted(set(range(1, seen[-1] + 1)) - set(seen)) == [9, 10, 14, 15], seen
    assert count[12] == 11 and count[11] == 8
    # out of order: 16 and 17 ran after 18, 20, 21, 22
    for late in (16, 17):
        assert all(count[late] > count[below] for below in (18, 20, 21, 22)), count
    # non-idempotent / unseeded: the source says what README says
    assert 'df["income"] = df["income"] / 1000' in cells[13].source
    assert "GradientBoostingClassifier(" in cells[21].source
    assert "random_state" not in cells[21].source
    # no absolute paths, timings or temp folders leaked into outputs
    text = nbformat.writes(nb)
    for leak in ("/tmp", "nb2prod-demo-", str(ROOT)):
        assert leak not in text, f"{leak!r} leaked into the notebook"


def _table(nb: nbformat.NotebookNode) -> str:
    rows = ["| cell | type | first line | run |", "| ---: | --- | --- | ---: |"]
    for index, cell in enumerate(nb.cells):
        first = cell.source.splitlines()[0] if cell.source else ""
        first = first.replace("|", "\\|")
        run = (
            ""
            if cell.cell_type != "code"
            else ("never" if cell.execution_count is None else f"[{cell.execution_count}]")
        )
        rows.append(f"| {index} | {cell.cell_type} | `{first}` | {run} |")
    return "\n".join(rows)


def render_readme(nb: nbformat.NotebookNode) -> str:
    problems = "\n".join(f"- **cell {i}: {kind}**: {text}" for i, kind, text in PROBLEMS)
    order = ", ".join(str(i) for i in RUN_ORDER)
    return f"""\
# Demo notebook: `credit_approval.ipynb`

A deliberately messy data-science notebook for trying `nb2prod` (`make demo` lints it).
It simulates 2,000 credit applicants with `numpy.random.default_rng(42)`, writes them to
`data/applicants.csv` (relative to this folder; the notebook creates `data/` itself) and reads
them back, explores them, builds features (debt-to-income, loan-to-income, age buckets with
`pd.cut`, a log transform, `fillna`), fits a `GradientBoostingClassifier`, prints the test AUC,
and applies approval rules (PD below a threshold and loan-to-income below a limit; expected
loss = PD × loan amount × LGD) with a summary by age bucket. It needs numpy, pandas,
scikit-learn and matplotlib, runs offline in a few seconds, and runs top to bottom without error
in a fresh kernel.

## Hidden-state problems, on purpose

Cell indices are 0-based over all cells, markdown included (cell ids are `cell-NN` with the same
number).

{problems}

Counts 14 and 15 are missing too: they were the first runs of cells 16 and 17, overwritten by
the re-runs. So a linter that scans counts in page order also sees a jump from [13] (cell 15) to
[20] at cell 16; that comes from the out-of-order re-run, not from a further problem. The notebook has
no absolute path, no undefined name and no syntax error: other samples cover those.

## Cells

{_table(nb)}

## How it was generated

By `scripts/make_demo_notebook.py` (do not edit the notebook by hand; change the script and run
`.venv/bin/python scripts/make_demo_notebook.py`). The script defines the cells, executes the
code cells with a real `python3` kernel through `nbclient`, in a temporary copy of this folder,
in this order of cell indices: {order}. Outputs and execution counts are therefore genuine;
cell {UNEXECUTED} is never run. Before that, the script seeds the kernel's global numpy generator
in an unrecorded execution, so the unseeded model gives the same stored outputs on every build
(a fresh run of the notebook may print a slightly different AUC, which is the point of the
unseeded-randomness problem). It writes nbformat 4.5 with ids `cell-00`..`cell-{len(nb.cells) - 1:02d}`,
then runs the finished notebook top to bottom in a fresh kernel in another temporary copy and
fails if any cell raises. `--check` rebuilds and compares with the committed files.
"""


def build() -> tuple[nbformat.NotebookNode, str]:
    nb = new_notebook()
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": KERNEL_NAME,
    }
    nb.cells = build_cells()
    assert all(nb.cells[i].cell_type == "code" for i in (*RUN_ORDER, UNEXECUTED))
    assert UNEXECUTED not in RUN_ORDER
    execute_in_order(nb)
    li = nb.metadata.get("language_info", {})
    assert li.get("name") == "python", li
    nbformat.validate(nb)
    _check_problems(nb)
    verify_fresh_run(nb)
    return nb, render_readme(nb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="rebuild and exit 1 if the committed files differ"
    )
    args = parser.parse_args(argv)

    nb, readme = build()
    nb_text = nbformat.writes(nb) + "\n"
    nb_path = DEMO_DIR / NOTEBOOK_NAME
    readme_path = DEMO_DIR / "README.md"
    if args.check:
        stale = [
            p
            for p, text in ((nb_path, nb_text), (readme_path, readme))
            if not p.is_file() or p.read_text(encoding="utf-8") != text
        ]
        for p in stale:
            print(f"out of date: {p.relative_to(ROOT)}", file=sys.stderr)
        if not stale:
            print("demo notebook and README are up to date")
        return 1 if stale else 0
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    nb_path.write_text(nb_text, encoding="utf-8")
    readme_path.write_text(readme, encoding="utf-8")
    print(
        f"wrote {nb_path.relative_to(ROOT)} ({len(nb.cells)} cells) and README.md; "
        "fresh top-to-bottom run: OK"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
