"""`check` over real third-party notebooks: a finding list or a clear per-file error, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from nb2prod.lint.check import Checked, CheckRequest, Failed, analyze, check_file, check_paths
from nb2prod.lint.rules.order import _known_runs, _late_causes, _shares_state
from nb2prod.notebook.load import load
from tests.conftest import CORPORA, corpus_files, manifest_rows

EXPECTED_FAILURE_KINDS = {
    "unsupported-language",
    "invalid-json",
    "invalid-cell",
    "invalid-notebook",
    "invalid-text",
    "unsupported-version",
    "empty",
    "not-utf8",
}


def _ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(CORPORA).as_posix() for p in paths]


PARSING = corpus_files("parsing")
EVERY_RULE = CheckRequest(select=("NB",))  # opt-in rules included
WILD = corpus_files("wild")


@pytest.mark.corpus
@pytest.mark.parametrize("path", PARSING, ids=_ids(PARSING))
def test_parsing_corpus_file(path: Path) -> None:
    result = check_file(str(path))
    if isinstance(result, Failed):
        assert result.kind in EXPECTED_FAILURE_KINDS, result
        assert result.message and "internal" not in result.message
    else:
        assert isinstance(result, Checked)


@pytest.mark.corpus
def test_parsing_corpus_present_or_skipped() -> None:
    if not PARSING:
        pytest.skip(f"{CORPORA / 'parsing'} is absent")
    assert len(PARSING) >= 300


@pytest.mark.corpus
def test_wild_corpus_never_fails_internally() -> None:
    if not WILD:
        pytest.skip(f"{CORPORA / 'wild'} is absent")
    results = list(check_paths([str(p) for p in WILD]))
    internal = [r for r in results if isinstance(r, Failed) and r.kind == "internal"]
    assert internal == []
    assert len(results) == len(WILD) == 423


def _known_counts(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows whose stored counts all say something: a count of 0 (Colab) is unknown to NB101/NB107."""
    return [r for r in rows if "0" not in r["ec_seq"].split(",")]


@pytest.mark.corpus
def test_wild_nb101_matches_manifest_out_of_order() -> None:
    rows = _known_counts(manifest_rows("wild"))
    paths = [str(CORPORA / "wild" / row["file"]) for row in rows]
    results = {r.path: r for r in check_paths(paths, EVERY_RULE)}
    flagged = {
        p
        for p, r in results.items()
        if isinstance(r, Checked) and any(f.code == "NB101" for f in r.findings)
    }
    marked = {str(CORPORA / "wild" / row["file"]) for row in rows if row["out_of_order"] == "True"}
    assert flagged <= marked, sorted(flagged - marked)[:5]
    assert len(marked) > 50 and len(flagged) > 25
    # the rest are disorders of cells that share no name: NB101 leaves them out on purpose
    for path in sorted(marked - flagged):
        analysis = analyze(load(path), frozenset())
        causes, kept = _late_causes(_known_runs(analysis))
        assert causes, path
        for members in causes:
            passed = [r for r in kept if r.at > members[0].at and r.count < members[-1].count]
            passed += [r for r in kept if r.at < members[0].at and r.count > members[0].count]
            assert not _shares_state(analysis, members, passed), path


@pytest.mark.corpus
def test_wild_nb107_matches_manifest_gaps() -> None:
    rows = [r for r in _known_counts(manifest_rows("wild")) if r["out_of_order"] != "True"]
    paths = [str(CORPORA / "wild" / row["file"]) for row in rows]
    results = {r.path: r for r in check_paths(paths, EVERY_RULE)}
    flagged = {
        p
        for p, r in results.items()
        if isinstance(r, Checked) and any(f.code == "NB107" for f in r.findings)
    }
    marked = {str(CORPORA / "wild" / row["file"]) for row in rows if row["gaps"] == "True"}
    assert flagged == marked, (sorted(flagged - marked)[:5], sorted(marked - flagged)[:5])


KNOWN_HIDDEN_STATE = {
    "bayesian_hackers/sandbox/SpaceShuttleBayesFactor.ipynb": "figsize",
    "bayesian_hackers/sandbox/Chapter10_/More hacking with PyMC.ipynb": "figsize",
    "koehrsen_data_analysis/bayesian_log_reg/understanding-logistic-regression.ipynb": "get_config",
    "koehrsen_data_analysis/example_notebook/Untitled09.ipynb": "load_some_dataset10",
}


@pytest.mark.corpus
@pytest.mark.parametrize(("relative", "name"), sorted(KNOWN_HIDDEN_STATE.items()))
def test_known_hidden_state_names_are_found(relative: str, name: str) -> None:
    path = CORPORA / "wild" / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    result = check_file(str(path), EVERY_RULE)
    assert isinstance(result, Checked)
    named = {n for f in result.findings if f.code in ("NB103", "NB104", "NB110") for n in f.names}
    assert name in named
