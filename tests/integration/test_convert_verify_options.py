"""Every `convert` option holds through verification, the reports and the pinning.

`convert` plans once; the verification, the reports and the pinning reuse that plan. Before,
`nb2prod convert credit_approval.ipynb --name scoring --out scoring_pkg` wrote `scoring`, then
verified a re-planned `credit_approval` and reported NOT EQUIVALENT (ModuleNotFoundError), and
`[tool.nb2prod]` roles were dropped the same way. Real kernels; each conversion is shared by the
tests that read it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import nb2prod.convert.build
from nb2prod.cli import ExitCode, main
from tests.helpers import code, md, notebook, write

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
# cell 13 (the amounts in $k) is a feature by default; the project says it is data cleaning
ROLES = '[tool.nb2prod]\nroles = { "cell-13" = "data" }\n'
pytestmark = pytest.mark.slow


@dataclass
class Run:
    status: int
    out: str
    pins: list[dict[str, Any]] = field(default_factory=list)  # the calls to dependencies_for


def _main(argv: list[str]) -> Run:
    """Run the CLI in-process, its stdout kept, every pinning of a package recorded."""
    calls: list[dict[str, Any]] = []
    real = nb2prod.convert.build.dependencies_for

    def recording(
        files: Any, package: str, notebook: Any, python: str | None = None, **kw: Any
    ) -> Any:
        calls.append({"package": package, "python": python, "modules": sorted(files), **kw})
        return real(files, package, notebook, python, **kw)

    buffer = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(buffer):
        patch.setattr(nb2prod.convert.build, "dependencies_for", recording)
        status = main(argv)
    return Run(status, buffer.getvalue(), calls)


def _project(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / ".git").mkdir()  # the project root: no configuration is read from above it
    (folder / "pyproject.toml").write_text(ROLES)
    shutil.copy(DEMO, folder / DEMO.name)
    return folder / DEMO.name


def _report(package: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((package / "nb2prod-report.json").read_text())
    return data


def _project_table(package: Path) -> dict[str, Any]:
    table: dict[str, Any] = tomllib.loads((package / "pyproject.toml").read_text())["project"]
    return table


@pytest.fixture(scope="module")
def scoring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Run]]:
    """The issue's case: --name scoring --out .../scoring_pkg, roles in [tool.nb2prod], --python."""
    nb = _project(tmp_path_factory.mktemp("scoring") / "project")
    out = nb.parent.parent / "scoring_pkg"
    run = _main(
        ["convert", str(nb), "--name", "scoring", "--out", str(out), "--python", sys.executable]
    )
    yield nb, out, run


def test_name_and_roles_verify_equivalent(scoring: tuple[Path, Path, Run]) -> None:
    nb, out, run = scoring
    assert run.status == ExitCode.OK, run.out
    assert f"wrote package 'scoring' to {out}" in run.out
    assert f"{nb}: EQUIVALENT" in run.out and "ModuleNotFoundError" not in run.out
    assert "functions: 6 equivalent, 0 differ, 0 unverified" in run.out
    report = _report(out)
    assert report["package"] == "scoring"
    assert report["verification"]["verdict"] == "equivalent"
    verdicts = {f["function"]: f["verdict"] for f in report["verification"]["functions"]}
    assert verdicts["load_df"] == "equivalent"  # cell 13, moved to data by the project
    assert set(verdicts.values()) == {"equivalent"}
    assert {s["role"] for s in report["statements"] if s["cell"] == 13} == {"data"}
    assert (out / "src" / "scoring" / "data.py").read_text().count("def load_df(") == 1
    assert not (out / "src" / "credit_approval").exists()


def test_repinning_keeps_the_name_and_the_interpreter(scoring: tuple[Path, Path, Run]) -> None:
    _, out, run = scoring
    project = _project_table(out)
    assert project["name"] == "scoring"
    assert project["scripts"]["scoring"] == "scoring.__main__:main"
    assert project["dependencies"] and all("==" in d for d in project["dependencies"])
    # pinned once, at conversion, from the code written for `scoring`, with --python's
    # interpreter; never again from what the notebook's kernel imported (ipython, rich, ...)
    assert [c["package"] for c in run.pins] == ["scoring"]
    assert {c["python"] for c in run.pins} == {sys.executable}
    assert "src/scoring/model.py" in run.pins[0]["modules"]
    names = {d.split("==")[0].split("[")[0].lower() for d in project["dependencies"]}
    assert {"pandas", "scikit-learn"} <= names and not names & {"ipython", "rich", "ipykernel"}
    assert (out / "pylock.toml").is_file() or (out / "requirements.lock").is_file()


def test_the_second_run_tells_nondeterministic_cells(scoring: tuple[Path, Path, Run]) -> None:
    _, _, run = scoring  # no --no-second-run: the cells that differ run twice
    assert "NB303 output differs between two fresh runs" in run.out


def test_generated_tests_of_the_renamed_package_pass(scoring: tuple[Path, Path, Run]) -> None:
    _, out, _ = scoring
    assert "from scoring" in (out / "tests" / "test_golden.py").read_text()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out / "tests")],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONPATH": str(out / "src"), "MPLBACKEND": "Agg"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_verify_an_existing_package_uses_the_plan_it_was_written_from(
    scoring: tuple[Path, Path, Run],
) -> None:
    nb, out, _ = scoring
    run = _main(["verify", str(nb), str(out), "--no-second-run"])
    assert run.status == ExitCode.OK, run.out
    assert f"{nb}: EQUIVALENT" in run.out
    assert f"report: {out / 'nb2prod-report.md'}" in run.out
    # the name comes from the package's own report, the roles from [tool.nb2prod]
    functions = {f["function"] for f in _report(out)["verification"]["functions"]}
    assert "load_df" in functions
    assert run.pins == []  # verify keeps the pins convert wrote
    assert _project_table(out)["name"] == "scoring"


@pytest.fixture(scope="module")
def unpinned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Run]:
    """--no-pin, --force over a folder nb2prod did not create, --kernel, --timeout, --no-second-run."""
    nb = _project(tmp_path_factory.mktemp("unpinned") / "project")
    out = nb.parent.parent / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("not nb2prod's")
    argv = ["convert", str(nb), "--out", str(out), "--force", "--no-pin"]
    argv += ["--kernel", "python3", "--timeout", "300", "--no-second-run"]
    return nb, out, _main(argv)


def test_no_pin_force_kernel_timeout_no_second_run_verify_equivalent(
    unpinned: tuple[Path, Path, Run],
) -> None:
    nb, out, run = unpinned
    assert run.status == ExitCode.OK, run.out
    assert f"{nb}: EQUIVALENT" in run.out
    assert not (out / "notes.txt").exists()  # --force replaced the folder
    assert _report(out)["package"] == "credit_approval"
    assert "load_df" in {f["function"] for f in _report(out)["verification"]["functions"]}
    assert "NB303" not in run.out  # no second run: the differing cells stay NB301
    assert "NB301 stored output differs from a fresh run" in run.out


def test_no_pin_is_never_repinned(unpinned: tuple[Path, Path, Run]) -> None:
    nb, out, run = unpinned
    assert run.pins == []
    dependencies = _project_table(out)["dependencies"]
    assert dependencies and not any("==" in d for d in dependencies)
    again = _main(["verify", str(nb), str(out), "--no-second-run"])
    assert again.status == ExitCode.OK, again.out
    assert again.pins == []  # verify sees the package was written unpinned
    assert _project_table(out)["dependencies"] == dependencies


def test_timeout_and_kernel_reach_the_verification(tmp_path: Path) -> None:
    nb = write(
        tmp_path / "slow.ipynb",
        notebook(
            md("## Wait"),
            code("import time\nx = 1", 1),
            code("time.sleep(30)\ny = x + 1", 2),
        ),
    )
    run = _main(["convert", str(nb), "--out", str(tmp_path / "pkg"), "--no-pin", "--timeout", "2"])
    assert run.status == ExitCode.UNVERIFIED, run.out
    assert "NB304 cell timed out after 2 s in the fresh run" in run.out
    assert "wrote package 'slow'" in run.out  # the package stays, with its report
    assert (tmp_path / "pkg" / "nb2prod-report.md").is_file()
    run = _main(["convert", str(nb), "--out", str(tmp_path / "pkg"), "--kernel", "no-such-kernel"])
    assert run.status == ExitCode.USAGE, run.out
    assert "no-such-kernel" in run.out
