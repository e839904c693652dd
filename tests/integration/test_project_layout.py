"""Notebooks in a project layout (`notebooks/` beside `data/`): runs see the project, never write it.

A notebook in `notebooks/` reads `../data/raw/x.csv` and writes `../data/processed/y.csv`.
`verify` must find it equivalent with the overlay view, and with the copy when overlays are
off; when the project is too large to copy as well, the verdict is "unverified" with the
reason, never NB302 (hidden state). In every case the user's tree is byte-identical after the
run, and after a run killed mid-cell.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nb2prod import api
from nb2prod.verify import project as project_module
from nb2prod.verify import sandbox
from nb2prod.verify.execute import run_notebook
from nb2prod.verify.project import find_project, open_view, overlay_disabled, touched_paths
from tests.helpers import code, md, notebook, write

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths and process groups")

READ = "import pandas as pd\nraw = pd.read_csv('../data/raw/x.csv')\nprint(len(raw))"
WRITE = (
    "features = raw.assign(total=raw.a + raw.b)\n"
    "features.to_csv('../data/processed/y.csv', index=False)\n"
    "print(features.total.sum())"
)


def _stream(text: str) -> list[dict[str, object]]:
    return [{"output_type": "stream", "name": "stdout", "text": text}]


def _project(root: Path, *cells: dict[str, object]) -> Path:
    """notebooks/nb.ipynb, data/raw/x.csv, an empty data/processed; returns the notebook."""
    for folder in ("notebooks", "data/raw", "data/processed"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "data" / "raw" / "x.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    (root / "data" / "raw" / "big.bin").write_bytes(b"\0" * 4096)
    cells = cells or (md("## Load"), code(READ, 1, _stream("3\n")), code(WRITE, 2, _stream("21\n")))
    return write(root / "notebooks" / "nb.ipynb", notebook(*cells))


def digest(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry (folders and links too): content hash, mode and modification time."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        content = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        found[path.relative_to(folder).as_posix()] = (
            hashlib.sha256(content).hexdigest(),
            info.st_mode,
            info.st_mtime_ns,
        )
    return found


@pytest.fixture(params=["overlay", "copy"])
def view_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "overlay":
        if overlay_disabled() or not _overlay_works():
            pytest.skip("overlay mounts in a user namespace are not available here")
    else:
        monkeypatch.setenv(project_module.NO_OVERLAY_VARIABLE, "1")
    yield request.param


def _overlay_works() -> bool:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return open_view(_project(Path(tmp) / "p"), Path(tmp) / "state").kind == "overlay"


# --- where the root is --------------------------------------------------------------------


def test_paths_the_notebook_names_above_its_folder_are_found_statically(tmp_path: Path) -> None:
    nb = write(
        tmp_path / "nb.ipynb",
        notebook(
            code("df = pd.read_csv('../data/raw/x.csv')\nok = open('local.txt').read()"),
            code("import os\np = os.path.join('..', '..', 'shared', 'y.parquet')"),
            code("from pathlib import Path\nq = Path('..') / 'models' / 'm.pkl'"),
            code("%run ../src/prep.py\nsys.path.append('..')"),
            code("this does not parse ('../raw/z.csv')"),
            code("url = 'https://example.com/../x'\nprint(f'../reports/{name}.html')"),
        ),
    )
    from nb2prod.notebook.load import load

    found = touched_paths(load(nb))
    assert found == (
        "../data/raw/x.csv",
        "../../shared/y.parquet",
        "../models/m.pkl",
        "../src/prep.py",
        "..",
        "../raw/z.csv",
        "../reports/",
    )


def test_the_root_is_the_nearest_marker_that_holds_the_paths_read(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    nb = _project(repo)
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (repo / "notebooks" / "setup.cfg").write_text("")  # a marker that does not hold data/
    found = find_project(nb)
    assert (found.notebook_dir, found.root, found.span) == (repo / "notebooks", repo, repo)
    assert found.outside == ("../data/raw/x.csv", "../data/processed/y.csv")
    assert "pyproject.toml" in found.reason
    (repo / ".git").mkdir()
    assert find_project(nb).root == repo


def test_without_a_marker_the_root_holds_the_paths_read_at_most_three_levels_up(
    tmp_path: Path,
) -> None:
    deep = tmp_path / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    near = write(deep / "near.ipynb", notebook(code("x = open('../../in.txt').read()")))
    far = write(deep / "far.ipynb", notebook(code("x = open('../../../../../in.txt').read()")))
    alone = write(deep / "alone.ipynb", notebook(code("x = open('in.txt').read()")))
    assert find_project(near).root == tmp_path / "a" / "b"
    assert find_project(far).root == tmp_path / "a"  # three levels up, no further
    assert find_project(alone).root == deep == find_project(alone).span


def test_the_root_is_never_the_home_folder_or_above_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    nb = _project(home / "work")
    (home / ".git").mkdir()  # a dotfiles repository
    monkeypatch.setenv("HOME", str(home))
    found = find_project(nb)
    assert found.root == home / "work"  # from the paths read, not the marker in the home folder
    monkeypatch.setenv("HOME", str(home / "work" / "notebooks"))
    assert find_project(nb).root == home / "work" / "notebooks"


def test_a_scratch_copy_stands_for_the_original_folder(tmp_path: Path) -> None:
    nb = _project(tmp_path / "p")
    stand_in = sandbox.scratch_copy(nb, tmp_path / "scratch" / "work")
    assert [p.name for p in stand_in.iterdir()] == [sandbox.ORIGIN_FILE]  # nothing copied
    variant = write(stand_in / "nb.ipynb", notebook(code(READ)))
    assert sandbox.origin_of(variant) == nb
    assert find_project(variant).root == tmp_path / "p"
    assert sandbox.stands_for(tmp_path / "p") is None


# --- runs -------------------------------------------------------------------------------


def test_a_run_reads_and_writes_beside_the_notebook_and_the_project_is_untouched(
    tmp_path: Path, view_mode: str
) -> None:
    nb = _project(tmp_path / "project")
    before = digest(tmp_path / "project")
    run = run_notebook(nb)
    assert [c.status for c in run.cells] == ["ok", "ok", "ok"], run.cells
    assert run.cells[1].outputs[0]["text"] == "3\n"
    assert run.workdir_files == ("../data/processed/y.csv",)
    assert run.notes == ()
    assert digest(tmp_path / "project") == before


def test_verify_is_equivalent_and_the_project_is_untouched(tmp_path: Path, view_mode: str) -> None:
    nb = _project(tmp_path / "project")
    before = digest(tmp_path / "project")
    result = api.convert_and_verify(
        str(nb), tmp_path / "pkg", api.ConvertOptions(pin=False, second_run=False)
    )
    assert isinstance(result, api.ConvertedAndVerified), result
    verified = result.verified
    assert isinstance(verified, api.Verified), verified
    verification = verified.verification
    assert verification.verdict == "equivalent", verification
    assert verification.package_error is None
    assert [c.status for c in verification.cells] == ["same", "same"]
    assert digest(tmp_path / "project") == before


def test_a_project_too_large_to_copy_is_unverified_with_the_reason_never_hidden_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(project_module.NO_OVERLAY_VARIABLE, "1")
    monkeypatch.setattr(sandbox, "COPY_LIMIT_BYTES", 2048)  # data/raw/big.bin is 4 KB
    nb = _project(tmp_path / "project")
    before = digest(tmp_path / "project")
    run = run_notebook(nb)
    failed = run.failed
    assert failed is not None and failed.index == 1
    assert failed.unseen is not None and "unverified (data outside the copy)" in failed.unseen
    assert "../data/raw/x.csv" in (failed.error or "")
    assert any(
        "reads ../data/raw/x.csv" in note
        and "too large to copy and overlay mounts are unavailable" in note
        for note in run.notes
    ), run.notes

    result = api.verify(str(nb), options=api.VerifyOptions(second_run=False))
    assert isinstance(result, api.Verified), result
    verification = result.verification
    assert verification.verdict == "unverified"
    assert not [f for f in verification.findings if f.code == "NB302"], verification.findings
    stopped = next(c for c in verification.cells if c.status == "fails-fresh")
    assert "unverified (data outside the copy)" in stopped.differences[0]
    assert digest(tmp_path / "project") == before


def test_a_missing_file_is_still_the_notebooks_failure(tmp_path: Path, view_mode: str) -> None:
    nb = _project(tmp_path / "project")
    (tmp_path / "project" / "data" / "raw" / "x.csv").unlink()  # gone from the project itself
    run = run_notebook(nb)
    failed = run.failed
    assert failed is not None and failed.index == 1 and failed.unseen is None
    assert (failed.error or "").startswith("FileNotFoundError")


def test_a_run_killed_mid_cell_leaves_the_project_untouched(tmp_path: Path, view_mode: str) -> None:
    nb = _project(
        tmp_path / "project",
        code(READ),
        code(
            "raw.to_csv('../data/processed/y.csv')\n"
            "with open('../data/raw/x.csv', 'a') as handle:\n"
            "    handle.write('7,8\\n')\n"
            "import subprocess, time\n"
            "child = subprocess.Popen(['sleep', '600'])\n"
            "time.sleep(600)"
        ),
    )
    before = digest(tmp_path / "project")
    run = run_notebook(nb, cell_timeout=3)
    assert [c.status for c in run.cells] == ["ok", "timeout"]
    assert sorted(run.workdir_files) == ["../data/processed/y.csv", "../data/raw/x.csv"]
    assert digest(tmp_path / "project") == before


def test_the_view_runs_a_program_with_the_pid_it_was_started_with(tmp_path: Path) -> None:
    """The wrapper execs in place: the caller's process-group kills reach the program itself."""
    import subprocess

    nb = _project(tmp_path / "project")
    view = open_view(nb, tmp_path / "state")
    if view.kind != "overlay":
        pytest.skip("overlay mounts in a user namespace are not available here")
    probe = "import os; print(os.getpid(), os.getcwd(), os.path.exists('../data/raw/x.csv'))"
    proc = subprocess.Popen(
        [*view.prefix, sys.executable, "-c", probe],
        cwd=view.launch_dir,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out, _ = proc.communicate(timeout=60)
    pid, cwd, sees = out.split()
    assert int(pid) == proc.pid  # the same process: unshare and sh exec'd, none forked
    assert Path(cwd) == view.cwd == tmp_path.resolve() / "state" / "work" / "notebooks"
    assert sees == "True"
