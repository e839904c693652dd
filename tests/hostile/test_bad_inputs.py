"""Bad input through the real CLI: one line naming the file (and cell), exit 2, no traceback.

Every input of tests/bad_inputs/manifest.toml goes through `check`, `pin` and
`convert --no-verify`; the manifest says what each must do. The input is never modified.
Small files run in-process through `nb2prod.cli.main` (cheap); large ones, the files that
could hang a careless reader, and several-paths runs go through the installed `nb2prod`
command in a child process, whose peak memory is measured.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import multiprocessing
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from nb2prod.cli import main
from tests.conftest import CORPORA, corpus_files
from tests.hostile.cli_run import (
    BAD_INPUTS,
    COMMANDS,
    MANIFEST,
    ROOT,
    argv,
    cli,
    expected,
    fingerprint,
    judge,
    make_bad_inputs,
    names,
    run_child,
)

SMALL = names("small")
LARGE = names("large")
SPECIAL = names("special")
# Special files a regression could make block forever: only ever read in a child with a timeout.
BLOCKING = {"fifo.ipynb", "dev_zero.ipynb"}
CHILD_TIMEOUT = 120


@pytest.fixture(scope="module")
def special_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    made = make_bad_inputs().write_special(tmp_path_factory.mktemp("special"))
    yield made
    made["unreadable.ipynb"].chmod(0o600)  # so pytest can remove its temporary folder


@pytest.fixture(scope="module")
def large_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("large")
    yield make_bad_inputs().write_large(folder)
    shutil.rmtree(folder)  # 230 MB: not left for pytest's keep-three-runs policy


def _skip_if_root_reads(name: str) -> None:
    if name == "unreadable.ipynb" and os.geteuid() == 0:
        pytest.skip(
            "running as root, which reads mode-000 files; proc_mem.ipynb is the unreadable file here"
        )


def test_manifest_covers_every_input() -> None:
    committed = {p.name for p in BAD_INPUTS.iterdir() if p.name != "manifest.toml"}
    assert committed == set(SMALL)
    script = make_bad_inputs()
    assert set(script.LARGE) == set(LARGE)
    assert set(SMALL) == set(script.small_files())
    for entry in MANIFEST.values():
        assert entry["what"] and entry["where"] in ("small", "large", "special")


def test_committed_inputs_match_the_script() -> None:
    assert make_bad_inputs().main(["--check"]) == 0


def _in_process(
    capsys: pytest.CaptureFixture[str], name: str, command: str, path: Path, out: Path
) -> None:
    before = fingerprint(path)
    code = main(argv(command, str(path), out))
    captured = capsys.readouterr()
    judge(name, command, str(path), code, captured.out, captured.err)
    assert fingerprint(path) == before


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", SMALL)
def test_small_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, command: str
) -> None:
    _in_process(capsys, name, command, BAD_INPUTS / name, tmp_path)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", sorted(set(SPECIAL) - BLOCKING))
def test_special_input(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    special_dir: dict[str, Path],
    name: str,
    command: str,
) -> None:
    _skip_if_root_reads(name)
    _in_process(capsys, name, command, special_dir[name], tmp_path)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", sorted(BLOCKING))
def test_blocking_input_in_child(
    tmp_path: Path, special_dir: dict[str, Path], name: str, command: str
) -> None:
    path = special_dir[name]
    before = fingerprint(path)
    run = run_child(cli(*argv(command, str(path), tmp_path)), timeout=60)
    assert not run.timed_out, f"{command} {name} blocked"
    judge(name, command, str(path), run.code, run.stdout, run.stderr)
    assert fingerprint(path) == before


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", LARGE)
def test_large_input_in_child(
    tmp_path: Path, large_dir: dict[str, Path], name: str, command: str
) -> None:
    path = large_dir[name]
    before = fingerprint(path)
    run = run_child(cli(*argv(command, str(path), tmp_path)), timeout=CHILD_TIMEOUT)
    assert not run.timed_out, f"{command} {name} took over {CHILD_TIMEOUT} s"
    judge(name, command, str(path), run.code, run.stdout, run.stderr)
    assert fingerprint(path) == before
    bound = MANIFEST[name].get("rss_mb")
    if bound is not None:
        assert run.peak_rss_mb < float(bound), (
            f"{command} {name}: peak RSS {run.peak_rss_mb:.0f} MB"
        )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    [
        "truncated.ipynb",
        "null_source.ipynb",
        "lone_surrogate.ipynb",
        "deep_lambdas.ipynb",
        "nbformat3_worksheet_null.ipynb",
    ],
)
@pytest.mark.parametrize("command", ["pin", "convert"])
def test_console_script_in_child(tmp_path: Path, name: str, command: str) -> None:
    """The same verdict from the installed command as from `main` in-process."""
    path = BAD_INPUTS / name
    run = run_child(cli(*argv(command, str(path), tmp_path)), timeout=CHILD_TIMEOUT)
    judge(name, command, str(path), run.code, run.stdout, run.stderr)


def _all_paths(special_dir: dict[str, Path]) -> list[tuple[str, Path]]:
    paths = [(name, BAD_INPUTS / name) for name in SMALL]
    paths += [
        (name, special_dir[name])
        for name in SPECIAL
        if not (name == "unreadable.ipynb" and os.geteuid() == 0)
    ]
    return paths


def test_check_goes_on_after_bad_files(tmp_path: Path, special_dir: dict[str, Path]) -> None:
    """One `check` over every bad input plus a good notebook: each file answered, in order."""
    paths = _all_paths(special_dir)
    good = ROOT / "sample_notebooks" / "demo" / "credit_approval.ipynb"
    listed = (
        [str(p) for _, p in paths[: len(paths) // 2]]
        + [str(good)]
        + [str(p) for _, p in paths[len(paths) // 2 :]]
    )
    before = {p: fingerprint(Path(p)) for p in listed}
    run = run_child(
        cli("check", "--select", "NB", "--format", "json", *listed), timeout=CHILD_TIMEOUT
    )
    assert not run.timed_out and "Traceback" not in run.stderr
    assert run.code == 2, run.stderr[-2000:]
    document = json.loads(run.stdout)
    assert [n["path"] for n in document["notebooks"]] == listed
    by_path = {n["path"]: n for n in document["notebooks"]}
    assert by_path[str(good)]["error"] is None and by_path[str(good)]["findings"]
    for name, path in paths:
        result = by_path[str(path)]
        want = expected(name, "check")
        assert (result["error"] is not None) == (want.exit == 2), (name, result)
        if want.exit == 2:
            assert result["error"]["kind"] != "internal", (name, result)
            lines = [line for line in run.stderr.splitlines() if str(path) in line]
            assert len(lines) == 1 and want.words in lines[0], (name, lines)
            if want.cell is not None:
                assert result["error"]["cell"] == want.cell
        elif want.exit == 1:
            assert result["findings"], name
    assert {p: fingerprint(Path(p)) for p in listed} == before


def test_check_text_names_each_bad_file_once(special_dir: dict[str, Path]) -> None:
    paths = _all_paths(special_dir)
    run = run_child(cli("check", *[str(p) for _, p in paths]), timeout=CHILD_TIMEOUT)
    assert not run.timed_out and "Traceback" not in run.stdout + run.stderr
    assert run.code == 2
    failed = [(name, path) for name, path in paths if expected(name, "check").exit == 2]
    assert f"; {len(failed)} files could not be checked" in run.stdout.splitlines()[-1]
    for name, path in failed:
        judge(name, "check", str(path), 2, run.stdout, "")


def test_check_walks_a_folder_of_special_files(special_dir: dict[str, Path]) -> None:
    """A folder walk meets the pipe, the loops and the folder named x.ipynb without blocking."""
    folder = special_dir["fifo.ipynb"].parent
    run = run_child(cli("check", "--format", "json", str(folder)), timeout=60)
    assert not run.timed_out and "Traceback" not in run.stderr
    document = json.loads(run.stdout)
    errors = {Path(n["path"]).name: n["error"]["kind"] for n in document["notebooks"] if n["error"]}
    assert errors["fifo.ipynb"] == "not-a-file"
    assert errors["loop_link.ipynb"] == "unreadable"
    assert errors["dangling_link.ipynb"] == "not-found"
    good = {Path(n["path"]).name for n in document["notebooks"] if not n["error"]}
    assert {"inside.ipynb", "target_good.ipynb", "good_link.ipynb"} <= good
    assert run.code == 2


# Why a third-party notebook of ../shared/corpora/parsing may be refused (exit 2); anything else
# is a new failure to look at. `check` over the corpora is tested in tests/corpus/.
CORPUS_REFUSALS = re.compile(
    r"kernel language .+ is not supported|could not be read as a jupytext notebook: The \w+( Markdown)? "
    r"format requires|:cell \d+: cannot convert: cell \d+ (does not parse|does not compile|has a star import)"
    r"|is not an nbformat 3 notebook"
)


def _corpus_run(job: tuple[str, str, str]) -> tuple[str, int, str, str, object, object]:
    command, path, out = job
    before = fingerprint(Path(path))
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv(command, path, Path(out)))
    return path, code, stdout.getvalue(), stderr.getvalue(), before, fingerprint(Path(path))


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize("command", ["pin", "convert"])
def test_parsing_corpus(tmp_path: Path, command: str) -> None:
    """Every notebook of the parsing corpus: an answer or one clear refusal, never a crash or a change."""
    files = corpus_files("parsing")
    if not files:
        pytest.skip(f"{CORPORA / 'parsing'} is absent")
    jobs = [(command, str(path), str(tmp_path / str(index))) for index, path in enumerate(files)]
    # forked workers: each has its own stdout redirection, and the two cores halve the ~2 min of convert
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(_corpus_run, jobs))
    problems, codes = [], collections.Counter()
    for path, code, stdout, stderr, before, after in results:
        codes[code] += 1
        text = stdout + stderr
        if code not in (0, 1, 2) or "Traceback" in text or before != after:
            problems.append((path, code, text[-500:]))
        elif code == 2:
            about = [line for line in text.splitlines() if path in line]
            if len(about) != 1 or not CORPUS_REFUSALS.search(about[0]):
                problems.append((path, code, text[-500:]))
    assert problems == []
    assert sum(codes.values()) == len(files) >= 300
    assert codes[0] + codes[1] >= 200, codes  # most of the corpus is Python that pins and converts
