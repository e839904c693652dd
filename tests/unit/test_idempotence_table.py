"""The idempotence table (nb2prod/data/idempotence.json), one test per entry.

Each file in tests/cases/idempotence holds a `# setup` and blocks headed
`# === <section>.<entry>: yes|no|unknown (what the example shows)`; a block may start with
setup of its own, ended by `# ---`. For each block:

- the analysis of the block's code finds a self-update whose operations name the entry, with
  the verdict the header gives (so the table, read through the analysis, says it);
- where the verdict is yes or no, the example runs twice in real pandas, NumPy and
  scikit-learn, and the second run gives the same value (yes) or not (no, a changed value or
  an error), so the table's claim is checked against the libraries it is about.

Every entry of the table has at least one block.
"""

from __future__ import annotations

import copy
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nb2prod.analysis.dataflow import analyze_cell
from nb2prod.analysis.idempotence import SECTIONS, TESTS, describe, table
from nb2prod.analysis.imports import carry_modules
from nb2prod.analysis.records import Rerun

FOLDER = Path(__file__).parents[1] / "cases" / "idempotence"
HEADER = re.compile(r"# === (\w+)\.(.+?): (yes|no|unknown)(?: \((.*)\))?$")
VERDICTS = {"yes": True, "no": False, "unknown": None}


@dataclass(frozen=True)
class Case:
    file: str
    section: str
    key: str
    expected: str
    note: str
    setup: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.file}:{self.section}.{self.key}" + (f" ({self.note})" if self.note else "")


def _cases() -> list[Case]:
    found = []
    for path in sorted(FOLDER.glob("*.py")):
        text = path.read_text("utf-8")
        setup, *blocks = re.split(r"^(?=# === )", text, flags=re.M)
        setup = setup.removeprefix("# setup\n")
        for block in blocks:
            header, _, body = block.partition("\n")
            match = HEADER.match(header)
            assert match, f"{path.name}: bad header {header!r}"
            section, key, expected, note = match.groups()
            extra, _, code = body.rpartition("# ---\n")
            found.append(Case(path.stem, section, key, expected, note or "", setup + extra, code))
    return found


CASES = _cases()


def _updates(code: str, setup: str) -> list[tuple[str, Rerun]]:
    modules: dict[str, str] = {}
    carry_modules(modules, analyze_cell(setup))
    symbols = analyze_cell(code, modules)
    found = [(r.name, r.rerun) for r in symbols.self_rebinds]
    found += [(m.name, m.rerun) for m in symbols.mutations if m.rerun is not None]
    return found


def _same(first: Any, second: Any) -> bool:
    import numpy as np
    import pandas as pd

    if type(first) is not type(second):
        return False
    if isinstance(first, pd.DataFrame):
        return bool(first.shape == second.shape and first.equals(second))
    if isinstance(first, (pd.Series, pd.Index)):
        return bool(first.equals(second))
    if isinstance(first, pd.Categorical):
        return bool(first.equals(second))
    if isinstance(first, np.ndarray) and first.dtype.kind in "fciub":
        return first.shape == second.shape and bool(np.allclose(first, second, equal_nan=True))
    if hasattr(first, "__array__"):  # other arrays: of objects, of strings (pandas' own)
        return bool(
            np.array_equal(np.asarray(first, dtype=object), np.asarray(second, dtype=object))
        )
    return bool(first == second)


def _runs_the_same_twice(case: Case, name: str) -> bool:
    namespace: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(case.setup, namespace)
        exec(case.code, namespace)  # the first run must work
        first = copy.deepcopy(namespace[name])
        try:
            exec(case.code, namespace)
        except Exception:
            return False
    return _same(first, namespace[name])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_entry_example(case: Case) -> None:
    entry = table()[case.section].get(case.key)
    assert entry is not None, f"{case.section}.{case.key} is not in the table"
    op = describe(case.section, case.key)
    updates = [(name, rerun) for name, rerun in _updates(case.code, case.setup) if op in rerun.ops]
    assert updates, f"no self-update applies {op}: {_updates(case.code, case.setup)}"
    name, rerun = updates[-1]
    assert rerun.idempotent is VERDICTS[case.expected], rerun
    if case.expected != "unknown":
        pytest.importorskip("pandas")
        pytest.importorskip("sklearn")
        assert _runs_the_same_twice(case, name) is (case.expected == "yes")


def test_every_entry_has_an_example() -> None:
    covered = {(c.section, c.key) for c in CASES}
    missing = [
        f"{section}.{key}"
        for section in SECTIONS
        for key in table()[section]
        if (section, key) not in covered
    ]
    assert not missing


def test_entries_use_known_kinds_and_tests() -> None:
    import json
    from importlib import resources

    raw = json.loads(resources.files("nb2prod.data").joinpath("idempotence.json").read_text())
    kinds = set(raw["kinds"])
    for section in SECTIONS:
        for key, entry in table()[section].items():
            assert entry.verdict in VERDICTS, key
            assert set(entry.needs) <= kinds, key
            assert entry.gives in kinds | {None, "dtype argument"}, key
            for condition in entry.when:
                assert condition.test is None or condition.test in TESTS, key
                assert condition.verdict in VERDICTS, key
