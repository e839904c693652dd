"""Data contracts, the matrix gate and drift monitoring of a generated package, run for real
(issue #15, items 1, 2 and 4).

The demo notebook is converted with `--no-verify`; `train` learns the contract of the frame it
reads and a drift baseline, and saves both with the model. Batches are scored in subprocesses:
by the package's command line (contracts in mode "error", its default), and by a short driver
calling `predict(..., contracts=MODE)` for the modes the command line does not offer yet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
pd = pytest.importorskip("pandas")
pytest.importorskip("skops")
pytest.importorskip("pandera")
pytestmark = pytest.mark.slow

# predict() with a contracts mode; a RowsError is one line on stderr and exit 2, as the CLI does
DRIVER = """
import sys
from pathlib import Path
from credit_approval.artifact import load
from credit_approval.predict import predict
from credit_approval.rows import RowsError, read_frame, write_frame
source, artifact, out, mode = sys.argv[1:5]
try:
    scored = predict(read_frame(source), load(Path(artifact)), source=source, contracts=mode)
    write_frame(scored, out)
except RowsError as exc:
    print(f"credit_approval: error: {exc}", file=sys.stderr)
    sys.exit(2)
"""


def _python(package: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package / "src"), "PYTHONWARNINGS": "default"}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(package, working folder, artifact folder) after `python -m credit_approval train`."""
    package = tmp_path_factory.mktemp("demo") / "pkg"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nb2prod",
            "convert",
            str(DEMO),
            "--out",
            str(package),
            "--no-verify",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    work = tmp_path_factory.mktemp("work")
    done = _python(package, ["-m", "credit_approval", "train", "--artifacts", "art"], work)
    assert done.returncode == 0, done.stderr
    (folder,) = (work / "art").iterdir()
    return package, work, folder


def _rows(work: Path) -> Any:
    return pd.read_csv(work / "data" / "applicants.csv").drop(columns=["default"])


def _score(
    trained: tuple[Path, Path, Path], frame: Any, name: str, mode: str | None = None
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Score the rows (the CLI without a mode, else the driver); (process, output path)."""
    package, work, folder = trained
    frame.to_csv(work / f"{name}.csv", index=False)
    out = work / f"{name}-out.csv"
    if mode is None:
        args = ["-m", "credit_approval", "predict", f"{name}.csv", "--artifact", str(folder)]
        done = _python(package, [*args, "--out", str(out)], work)
    else:
        done = _python(package, ["-c", DRIVER, f"{name}.csv", str(folder), str(out), mode], work)
    return done, out


def _records(work: Path) -> list[dict[str, object]]:
    lines = (work / "monitoring" / "batches.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_the_artifact_holds_the_learned_contract_and_baseline(
    trained: tuple[Path, Path, Path],
) -> None:
    _, _, folder = trained
    assert (folder / "baseline.skops").is_file()


def test_a_good_batch_passes_and_records_no_drift(trained: tuple[Path, Path, Path]) -> None:
    _, work, folder = trained
    before = len(_records(work)) if (work / "monitoring").exists() else 0
    done, out = _score(trained, _rows(work).sample(1500, random_state=1), "good")
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out)) == 1500
    records = _records(work)
    assert len(records) == before + 1
    last = records[-1]
    assert last["rows"] == 1500 and last["artifact_version"] == folder.name
    psi = last["psi"]
    assert isinstance(psi, dict) and {"income", "debt", "age", "log_income"} <= set(psi)
    assert all(value < 0.05 for value in psi.values()), psi
    assert isinstance(last["prediction_psi"], float) and last["prediction_psi"] < 0.05
    assert last["out_of_contract"] == {} and last["drifted"] == []
    nulls = last["null_rates"]
    assert isinstance(nulls, dict) and 0 < nulls["employment_years"] < 0.2


def test_a_shifted_batch_is_flagged(trained: tuple[Path, Path, Path]) -> None:
    _, work, _ = trained
    shifted = _rows(work)
    shifted["income"] = shifted["income"] * 3
    done, out = _score(trained, shifted, "shifted", mode="warn")
    assert done.returncode == 0, done.stderr
    assert out.exists()
    last = _records(work)[-1]
    psi = last["psi"]
    assert isinstance(psi, dict) and psi["income"] > 1.0 and psi["debt"] < 0.05
    drifted = last["drifted"]
    assert isinstance(drifted, list) and "income" in drifted
    assert isinstance(last["prediction_psi"], float) and last["prediction_psi"] > 0.1


def _broken(kind: str) -> Callable[[Any], Any]:
    def apply(rows: Any) -> Any:
        rows = rows.head(200).copy()
        if kind == "range":
            rows["income"] = rows["income"] * 1000  # a change of unit
        elif kind == "negative":
            rows.loc[5, "debt"] = -10.0
        elif kind == "new":
            rows["channel"] = "web"
        elif kind == "dtype":
            rows["applicant_id"] = "A" + rows["applicant_id"].astype(str)
        elif kind == "unique":
            rows.loc[7, "applicant_id"] = rows.loc[6, "applicant_id"]
        return rows

    return apply


VIOLATIONS = {
    "range": "column 'income': in_range",
    "negative": "column 'debt': in_range",
    "new": "column 'channel': not in the contract",
    "dtype": "column 'applicant_id': dtype('int64') fails",
    "unique": "column 'applicant_id': field_uniqueness fails",
}


@pytest.mark.parametrize("kind", sorted(VIOLATIONS))
def test_each_violation_exits_2_naming_the_column(
    trained: tuple[Path, Path, Path], kind: str
) -> None:
    _, work, _ = trained
    done, out = _score(trained, _broken(kind)(_rows(work)), f"broken-{kind}")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and VIOLATIONS[kind] in lines[0], done.stderr
    assert not out.exists()


def test_warn_scores_and_warns_and_off_skips(trained: tuple[Path, Path, Path]) -> None:
    _, work, _ = trained
    rows = _broken("range")(_rows(work))
    done, out = _score(trained, rows, "warned", mode="warn")
    assert done.returncode == 0, done.stderr
    assert "ContractWarning" in done.stderr and "column 'income'" in done.stderr
    assert len(pd.read_csv(out)) == 200
    assert _records(work)[-1]["out_of_contract"] == {"income": 200}
    done, out = _score(trained, rows, "skipped", mode="off")
    assert done.returncode == 0, done.stderr
    assert "ContractWarning" not in done.stderr and out.exists()
    assert _records(work)[-1]["out_of_contract"] == {}


def test_the_matrix_gate_names_the_column_when_contracts_are_off(
    trained: tuple[Path, Path, Path],
) -> None:
    _, work, _ = trained
    rows = _rows(work).head(50)
    rows.loc[3, "income"] = float("inf")  # log_income becomes inf: the model must not see it
    done, out = _score(trained, rows, "infinite", mode="off")
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert "cannot build the model's matrix" in line and "column 'income': infinite" in line
    assert "row 3" in line and not out.exists()
