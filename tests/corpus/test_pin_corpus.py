"""`pin` over every notebook of ../shared/corpora/wild: never crashes, and maps imports right.

Skipped with the reason when the corpus folder is absent.
"""

from __future__ import annotations

import collections
import csv
import json
import sys
import tomllib
from pathlib import Path

import pytest

from nb2prod.core.errors import InputError
from nb2prod.notebook.load import load
from nb2prod.pin import PinResult, canonical, pin_notebook
from nb2prod.pin.environment import Environment, environment_for
from nb2prod.pin.evidence import collect
from nb2prod.pin.mapping import LocalModules, resolve, table
from nb2prod.pin.render import json_text, pyproject_fragment, requirements_txt

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
WILD = CORPORA / "wild"
WILD_TABLE = Path(__file__).resolve().parents[1] / "data" / "pin" / "wild_imports.tsv"

pytestmark = pytest.mark.corpus


def _wild_files() -> list[Path]:
    manifest = WILD / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with open(manifest, newline="", encoding="utf-8") as handle:
        return [WILD / row["file"] for row in csv.DictReader(handle, delimiter="\t")]


FILES = _wild_files()


def _require_corpus() -> None:
    if not WILD.is_dir():
        pytest.skip(f"corpus {WILD} is absent (clone with ../shared beside the repository)")


def _expected() -> dict[str, str]:
    with open(WILD_TABLE, encoding="utf-8") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return {row["import"]: row["expected"] for row in rows}


@pytest.fixture(scope="module")
def env() -> Environment:
    return environment_for(None, sys.executable)


def _check_result(path: Path, result: PinResult) -> None:
    cells = load(path).cells
    for f in result.findings:
        assert 0 <= f.cell < len(cells) and cells[f.cell].id == f.cell_id, f
        assert f.code in ("NB201", "NB202", "NB203", "NB204")
    tomllib.loads(pyproject_fragment(result))
    json.loads(json_text(result))
    assert requirements_txt(result).count("\n") >= len(result.pins)


@pytest.mark.parametrize(
    "path", FILES or [None], ids=[str(p.relative_to(WILD)) for p in FILES] or ["absent"]
)
def test_pin_never_crashes(path: Path | None) -> None:
    """The real resolution path (kernelspec, or the fallback for python2 kernels), every format."""
    _require_corpus()
    assert path is not None
    try:
        result = pin_notebook(load(path))
    except InputError as exc:  # the wild corpus holds Python notebooks only: none should be refused
        pytest.fail(f"refused as input: {exc}")
    _check_result(path, result)


def test_every_installed_import_maps_to_the_right_distribution(env: Environment) -> None:
    """Over every import in the corpus whose top-level module is installed here: 100% right."""
    _require_corpus()
    expected = _expected()
    tbl = table()
    counts: collections.Counter[str] = collections.Counter()
    wrong: list[str] = []
    for path in FILES:
        found = collect(load(path))
        local = LocalModules((str(path.parent), *found.search_dirs), dict(found.written_modules))
        for use in found.imports:
            if not use.top:
                continue
            want = expected.get(use.top)
            assert want is not None, f"{use.top} (in {path.name}) is missing from {WILD_TABLE.name}"
            r = resolve(use.module, use.level, env, local, tbl)
            if r.status == "distribution" and r.source == "environment":
                counts["installed"] += 1
                if canonical(r.distributions[0]) != canonical(want):
                    wrong.append(
                        f"{use.module} in {path.name}: {r.distributions[0]}, expected {want}"
                    )
            elif want == "local" and r.status == "local":
                counts["local"] += 1
            elif (
                r.status == "distribution"
            ):  # from the curated table: must not contradict the hand check
                counts["table"] += 1
                if canonical(r.distributions[0]) != canonical(want):
                    wrong.append(
                        f"{use.module} in {path.name}: table says {r.distributions[0]}, expected {want}"
                    )
    assert not wrong, wrong
    assert counts["installed"] >= 500, (
        counts
    )  # numpy, pandas, matplotlib, IPython, scipy, sklearn, ...
    assert counts["local"] >= 4, counts  # %%file mymodule.py, f2py -m dprod, ...


def test_wild_table_ranks_match_the_corpus() -> None:
    """The hand-checked table lists every top-level import of the corpus, counted as the corpus has it."""
    _require_corpus()
    notebooks: collections.Counter[str] = collections.Counter()
    for path in FILES:
        notebooks.update({u.top for u in collect(load(path)).imports if u.top})
    with open(WILD_TABLE, encoding="utf-8") as handle:
        rows = list(
            csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        )
    assert {r["import"]: int(r["notebooks"]) for r in rows} == dict(notebooks)
    counts = [int(r["notebooks"]) for r in rows]
    assert counts == sorted(counts, reverse=True)
