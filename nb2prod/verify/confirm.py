"""`check --confirm`: run the notebook and mark each static finding confirmed or refuted.

The notebook runs as `verify` runs it (papermill, a scratch copy of its folder, the kernel's
whole process group killed at the end), top to bottom, unseeded. What the run can show, per
rule (docs/confirm.md):

- NB103, NB104, NB110: a `NameError` for one of the finding's names at or after its cell
  confirms it; the finding's cells running without one refutes it.
- NB106: right after the flagged cell, a forked copy of the kernel runs the cell's source a
  second time, with the global random generators put back as they were before the first run.
  The finding's names after the first and the second run are compared with verify's
  comparator (`judge`): a difference, or a second run that raises, confirms; every name equal
  refutes. The notebook itself goes on from the state one run left.
- NB105, NB108: the cell's fresh output against its stored output, after verify's
  normalisers: equal refutes, different confirms, unless a second fresh run differs too
  (nondeterminism: undecided).
- NB109: a second fresh run; the cell's outputs and the names it binds (right after it, and
  at the end of the run when still bound to the same object) differing between the two
  runs confirms, and so does a global generator (random, numpy, torch) whose state the
  cell moved and that leaves the cell in a different state in each run (equal values
  drawn by chance); all equal refutes.
- Any other rule, and every finding whose cell the run did not reach (it stopped at an error,
  a missing file, a timeout), stays undecided (None): never guessed.
"""

from __future__ import annotations

import json
import pickle
import re
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nb2prod.analysis.records import CellSymbols
from nb2prod.analysis.symbols import collect_symbols
from nb2prod.core.findings import Finding
from nb2prod.notebook.load import load
from nb2prod.notebook.model import Notebook
from nb2prod.verify.compare import Comparison, judge
from nb2prod.verify.execute import CellRun, NotebookRun, run_notebook
from nb2prod.verify.output_limits import cap_outputs
from nb2prod.verify.outputs import compare_outputs
from nb2prod.verify.programs import program

CONFIRM_DIR_VARIABLE = "NB2PROD_CONFIRM_DIR"
PROGRAM = "confirm_hooks"

# How running decides a rule; a rule not listed is never decided by running.
NAME_ERRORS = frozenset({"NB103", "NB104", "NB110"})
RUN_TWICE = frozenset({"NB106"})
STORED_OUTPUT = frozenset({"NB105", "NB108"})
SECOND_RUN = frozenset({"NB109"})
DECIDED = NAME_ERRORS | RUN_TWICE | STORED_OUTPUT | SECOND_RUN

# `NameError: name 'x' is not defined` (and "free variable 'x' referenced before assignment")
_NAME_ERROR = re.compile(r"^NameError: (?:name|free variable) '([^']+)'")

# (run 1 or 2, cells done, cells in all)
OnRunProgress = Callable[[int, int, int], None]


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The findings of one notebook with `confirmed` set where a run decides them.

    `evidence` says, finding by finding, what the run showed or why it decided nothing.
    """

    path: str
    findings: tuple[Finding, ...]
    evidence: tuple[str, ...]
    # kernel runs that decided: 0 when no finding can be decided by running. In `verify`, the
    # hooks ride on verify's own runs (`Hooks`): 1, or 2 with its unseeded re-run.
    runs: int
    # the runs' time; in `verify`, only nb2prod's own deciding (the runs are verify's)
    seconds: float
    stopped_at: int | None = None  # the cell the (first) fresh run stopped at
    stop_reason: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def refuted(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.confirmed is False)

    def why(self, f: Finding) -> str | None:
        """The evidence for one of these findings (None: not one of them)."""
        return next((e for g, e in zip(self.findings, self.evidence, strict=True) if g == f), None)


@dataclass(frozen=True, slots=True)
class _Runs:
    """What the fresh runs left: cell results and the folders the kernel hooks wrote to."""

    first: NotebookRun
    first_dir: Path
    second: NotebookRun | None
    second_dir: Path | None


Verdict = tuple[bool | None, str]


def confirm(
    path: str,
    findings: Sequence[Finding],
    *,
    kernel: str | None = None,
    cell_timeout: float | None = 600,
    progress: OnRunProgress | None = None,
) -> Confirmation:
    """Run the notebook (twice when NB105/NB108/NB109 need it) and decide each finding.

    Raises `InputError` when the notebook cannot be read or no kernel can run it.
    """
    notebook = load(path, require_python=False)
    symbols = collect_symbols(notebook)
    decidable = [f for f in findings if f.code in DECIDED and 0 <= f.cell < len(notebook.cells)]
    if not decidable:
        return undecided(path, findings)
    started = time.perf_counter()

    def run(folder: Path, number: int) -> NotebookRun:
        folder.mkdir()
        return run_notebook(
            path,
            kernel=kernel,
            cell_timeout=cell_timeout,
            inject=injections(notebook, symbols, decidable, folder, cell_timeout, again=number > 1),
            # the same hash seed in both runs: a set printed in another order is not randomness
            env={CONFIRM_DIR_VARIABLE: str(folder), "PYTHONHASHSEED": "0"},
            progress=(lambda done, total: progress(number, done, total)) if progress else None,
        )

    with tempfile.TemporaryDirectory(prefix="nb2prod-confirm-") as tmp:
        first_dir = Path(tmp) / "first"
        first = run(first_dir, 1)
        second = second_dir = None
        if needs_second_run(notebook, decidable, first):
            second_dir = Path(tmp) / "second"
            second = run(second_dir, 2)
        verdicts = decide(findings, notebook, symbols, first, first_dir, second, second_dir)
    seconds = time.perf_counter() - started
    stopped = first.failed
    notes = first.notes + (second.notes if second is not None else ())
    return Confirmation(
        path,
        tuple(replace(f, confirmed=v[0]) for f, v in zip(findings, verdicts, strict=True)),
        tuple(v[1] for v in verdicts),
        2 if second is not None else 1,
        seconds,
        stopped.index if stopped is not None else None,
        stopped.error if stopped is not None else None,
        tuple(dict.fromkeys(notes)),
    )


def undecided(path: str, findings: Sequence[Finding]) -> Confirmation:
    """The findings when running decides none of them: no run made."""
    return Confirmation(path, tuple(findings), tuple(_undecidable(f) for f in findings), 0, 0.0)


# --- riding on verify's runs ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hooks:
    """The confirm hooks of `findings` injected into runs another command makes: `verify`'s
    fresh run (seeded, capturing) and its unseeded re-run. The hooks only read the kernel's
    state (the NB106 second run happens in a forked copy), so the runs' results are unchanged.

    Each run names its folder in $NB2PROD_CONFIRM_DIR: `first()` and `second()` give the cells
    to inject and the environment.
    """

    notebook: Notebook
    symbols: tuple[CellSymbols | None, ...]
    findings: tuple[Finding, ...]  # the findings running can decide
    folder: Path  # an empty folder that outlives the runs and `decide`

    @classmethod
    def of(cls, notebook: Notebook, findings: Sequence[Finding], folder: Path) -> Hooks | None:
        """Hooks for the findings a run can decide, or None when it decides none of them."""
        decidable = [f for f in findings if f.code in DECIDED and 0 <= f.cell < len(notebook.cells)]
        if not decidable:
            return None
        return cls(notebook, tuple(collect_symbols(notebook)), tuple(decidable), folder)

    @property
    def _first_dir(self) -> Path:
        return self.folder / "first"

    @property
    def _second_dir(self) -> Path:
        return self.folder / "second"

    def first(self, cell_timeout: float | None) -> tuple[list[tuple[int, str]], dict[str, str]]:
        """What the first (verify's fresh) run injects, and its environment."""
        self._first_dir.mkdir(exist_ok=True)
        inject = injections(
            self.notebook, self.symbols, self.findings, self._first_dir, cell_timeout
        )
        return inject, {CONFIRM_DIR_VARIABLE: str(self._first_dir)}

    def second(
        self, cells: int | None, cell_timeout: float | None
    ) -> tuple[list[tuple[int, str]], dict[str, str]]:
        """What a second run of the notebook's first `cells` cells (None: all) injects."""
        self._second_dir.mkdir(exist_ok=True)
        count = len(self.notebook.cells) if cells is None else min(cells, len(self.notebook.cells))
        shorter = replace(self.notebook, cells=self.notebook.cells[:count])
        reached = [f for f in self.findings if f.cell < count]
        inject = injections(
            shorter,
            self.symbols,
            reached,
            self._second_dir,
            cell_timeout,
            again=True,
            end=count == len(self.notebook.cells),
        )
        return inject, {CONFIRM_DIR_VARIABLE: str(self._second_dir)}

    @property
    def _reads_second(self) -> bool:
        """Whether any decision here reads a second run (else it is verify's business only)."""
        return any(f.code in SECOND_RUN | STORED_OUTPUT for f in self.findings)

    def second_run_cells(self, first: NotebookRun) -> list[int]:
        """The cells only a second run decides (NB109) that the first run ran."""
        return [
            f.cell
            for f in self.findings
            if f.code in SECOND_RUN and first.cells[f.cell].status == "ok"
        ]

    def decide(
        self,
        findings: Sequence[Finding],
        first: NotebookRun,
        second: NotebookRun | None,
        seconds: float = 0.0,
    ) -> Confirmation:
        """`findings` (all of them: the undecidable ones get None) decided by the runs."""
        verdicts = decide(
            findings,
            self.notebook,
            self.symbols,
            first,
            self._first_dir,
            second,
            self._second_dir if second is not None else None,
        )
        stopped = first.failed
        return Confirmation(
            self.notebook.path,
            tuple(replace(f, confirmed=v[0]) for f, v in zip(findings, verdicts, strict=True)),
            tuple(v[1] for v in verdicts),
            2 if second is not None and self._reads_second else 1,
            seconds,
            stopped.index if stopped is not None else None,
            stopped.error if stopped is not None else None,
        )


# --- the runs -------------------------------------------------------------------------------


def _run_twice_plan(notebook: Notebook, findings: Sequence[Finding]) -> dict[int, list[str]]:
    """NB106 cells -> the names to compare after one and after two runs."""
    plan: dict[int, list[str]] = {}
    for f in findings:
        if f.code in RUN_TWICE and notebook.cells[f.cell].is_code:
            names = plan.setdefault(f.cell, [])
            names += [n for n in f.names if n not in names]
    return plan


def _keep_plan(
    notebook: Notebook, symbols: Sequence[CellSymbols | None], findings: Sequence[Finding]
) -> dict[int, list[str]]:
    """NB109 cells -> the names they bind or change (imports left out), compared between runs."""
    plan: dict[int, list[str]] = {}
    for f in findings:
        sym = symbols[f.cell]
        if f.code not in SECOND_RUN or sym is None:
            continue
        imported = {i.bound_as for i in sym.imports}
        names = [r.name for r in sym.defines] + [m.name for m in sym.mutations]
        plan[f.cell] = [n for n in dict.fromkeys(names) if n not in imported]
    return plan


def injections(
    notebook: Notebook,
    symbols: Sequence[CellSymbols | None],
    findings: Sequence[Finding],
    folder: Path,
    cell_timeout: float | None,
    *,
    again: bool = False,
    end: bool = True,
) -> list[tuple[int, str]]:
    """The cells to inject into a fresh run (`run_notebook(inject=...)`) for these findings.

    Writes the hooks' plan to `folder`, which the run must name in $NB2PROD_CONFIRM_DIR and
    where the hooks leave their results for `decide`. `again`: the second run (no NB106 cell
    runs twice there). `end`: the run reaches the notebook's end, so the kept names are
    read there too (a run of the first cells only is not compared at its end).
    """
    twice = {} if again else _run_twice_plan(notebook, findings)
    keep = _keep_plan(notebook, symbols, findings)
    plan = {
        "twice": {
            str(cell): {"source": notebook.cells[cell].source, "names": names}
            for cell, names in twice.items()
        },
        "keep": {str(cell): names for cell, names in keep.items()},
        "timeout": cell_timeout or None,
    }
    (folder / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    first_code = next((c.index for c in notebook.cells if c.is_code), 0)
    inject: list[tuple[int, str]] = [(first_code, program(PROGRAM))]
    for cell in sorted(set(twice) | set(keep)):
        inject.append((cell, f"__nb2prod_confirm_before__({cell})"))
        if cell in keep:
            inject.append((cell + 1, f"__nb2prod_confirm_keep__({cell})"))
        if cell in twice:
            inject.append((cell + 1, f"__nb2prod_confirm_twice__({cell})"))
    if keep and end:
        inject.append((len(notebook.cells), "__nb2prod_confirm_end__()"))
    return inject


def needs_second_run(notebook: Notebook, findings: Sequence[Finding], first: NotebookRun) -> bool:
    """NB109 cells the run reached, or stored outputs that differ (nondeterminism or not?)."""
    for f in findings:
        run = first.cells[f.cell]
        if run.status != "ok":
            continue
        if f.code in SECOND_RUN:
            return True
        cell = notebook.cells[f.cell]
        if f.code in STORED_OUTPUT and cell.outputs and not _stored_equal(cell.outputs, run):
            return True
    return False


def _stored_equal(stored: Sequence[Mapping[str, Any]], run: CellRun) -> bool:
    return compare_outputs(cap_outputs(stored), run.outputs).same


# --- deciding ---------------------------------------------------------------------------------


def _undecidable(f: Finding) -> str:
    return f"running the notebook does not decide {f.code}"


def decide(
    findings: Sequence[Finding],
    notebook: Notebook,
    symbols: Sequence[CellSymbols | None],
    first: NotebookRun,
    first_dir: Path,
    second: NotebookRun | None = None,
    second_dir: Path | None = None,
) -> list[Verdict]:
    """Each finding's verdict (True, False or None) and its evidence, from runs made with
    `injections` (whose hooks wrote to `first_dir` and `second_dir`)."""
    runs = _Runs(first, first_dir, second, second_dir)
    return [_decide(f, notebook, symbols, runs) for f in findings]


def _decide(
    f: Finding, notebook: Notebook, symbols: Sequence[CellSymbols | None], runs: _Runs
) -> Verdict:
    if f.code not in DECIDED or not 0 <= f.cell < len(notebook.cells):
        return None, _undecidable(f)
    if f.code in NAME_ERRORS:
        return _by_name_errors(f, symbols, runs.first)
    unreached = _unreached(f.cell, runs.first)
    if unreached is not None:
        return None, unreached
    if f.code in RUN_TWICE:
        return _by_running_twice(f, runs.first_dir)
    if f.code in STORED_OUTPUT:
        return _by_stored_output(f, notebook, runs)
    return _by_second_run(f, runs)


def _unreached(cell: int, run: NotebookRun) -> str | None:
    """Why the fresh run says nothing about this cell, or None when the cell ran."""
    if cell >= len(run.cells):
        return "the run did not include the cell (it ran the notebook's first cells only)"
    status = run.cells[cell].status
    if status == "ok":
        return None
    stopped = run.failed
    if status == "not-run" and stopped is not None and stopped.index < cell:
        return f"the fresh run stopped at cell {stopped.index} ({_short(stopped.error)})"
    if status == "not-run":
        return "the cell did not run (skip-execution)"
    return f"the cell itself failed in the fresh run ({_short(run.cells[cell].error)})"


def _name_errors(run: NotebookRun) -> list[tuple[int, str]]:
    """(cell, name) of every NameError the run raised: where it stopped, and in cells tagged
    raises-exception, after which it went on."""
    found = []
    for cell in run.cells:
        texts = [cell.error or ""] if cell.status == "error" else []
        texts += [
            f"{o.get('ename')}: {o.get('evalue')}"
            for o in cell.outputs
            if o.get("output_type") == "error"
        ]
        for text in texts:
            match = _NAME_ERROR.match(text)
            if match:
                found.append((cell.index, match.group(1)))
    return found


def _by_name_errors(f: Finding, symbols: Sequence[CellSymbols | None], run: NotebookRun) -> Verdict:
    names = set(f.names)
    for cell, name in _name_errors(run):
        if name in names and cell >= f.cell:
            where = "here" if cell == f.cell else f"at cell {cell}"
            return True, f"the fresh run raised NameError for '{name}' {where}"
    places = sorted({f.cell, *(r.cell for r in f.related)})
    for place in places:
        unreached = _unreached(place, run)
        if unreached is not None:
            return None, unreached if place == f.cell else f"cell {place}: {unreached}"
    deferred = any(
        ref.name in names for p in places if (sym := symbols[p]) for ref in sym.deferred_uses
    )
    stopped = run.failed
    if deferred and stopped is not None:
        return None, (
            f"read inside a function body; the fresh run stopped at cell {stopped.index} "
            "before every call could run"
        )
    cells = ", ".join(str(p) for p in places)
    return False, f"the fresh run raised no NameError for {_quoted(f.names)} (cells {cells} ran)"


def _by_running_twice(f: Finding, folder: Path) -> Verdict:
    data = _read(folder / f"twice-{f.cell}.pkl")
    if not isinstance(data, dict):
        return None, "the second run of the cell left no result"
    if data.get("problem"):
        return None, str(data["problem"])
    if data.get("raised"):
        return True, f"running the cell a second time raises {_short(str(data['raised']))}"
    first, second = data.get("first", {}), data.get("second", {})
    equal, undecided = [], []
    for name in f.names:
        judged = _judge(first.get(name, "not captured"), second.get(name, "not captured"))
        if isinstance(judged, str):
            undecided.append(f"'{name}' {judged}")
        elif judged.verdict == "differs":
            return True, f"'{name}' after one run vs after two: {_short(judged.detail)}"
        elif judged.verdict == "equal":
            equal.append(name)
        else:
            undecided.append(f"'{name}' {_short(judged.detail)}")
    if equal and not undecided:
        return False, f"{_quoted(equal)} equal after one run and after two"
    return None, "; ".join(undecided) or "no name to compare"


def _by_stored_output(f: Finding, notebook: Notebook, runs: _Runs) -> Verdict:
    cell = notebook.cells[f.cell]
    if not cell.outputs:
        return None, "no stored output to compare with"
    fresh = runs.first.cells[f.cell]
    outcome = compare_outputs(cap_outputs(cell.outputs), fresh.outputs)
    if outcome.same:
        return False, "the fresh run's output equals the stored one"
    second = runs.second
    if second is None or _unreached(f.cell, second) is not None:
        return None, "the stored output differs, but no second fresh run tells nondeterminism apart"
    if not compare_outputs(fresh.outputs, second.cells[f.cell].outputs).same:
        return None, "the output differs between two fresh runs too (nondeterministic)"
    return True, f"the stored output differs from the fresh run: {_short(outcome.differences[0])}"


def _by_second_run(f: Finding, runs: _Runs) -> Verdict:
    if runs.second is None or runs.second_dir is None:
        return None, "no second fresh run"
    unreached = _unreached(f.cell, runs.second)
    if unreached is not None:
        return None, f"second run: {unreached}"
    kept = [_read(folder / f"keep-{f.cell}.pkl") for folder in (runs.first_dir, runs.second_dir)]
    ended = [_read(folder / f"end-{f.cell}.pkl") for folder in (runs.first_dir, runs.second_dir)]
    compared = 0
    # values first: they say what differs more precisely than printed text
    for pair, when in (
        ([_mapping(k, "values") for k in kept], "right after the cell"),
        (ended, "at the end of the run"),
    ):
        first, second = pair
        if not isinstance(first, dict) or not isinstance(second, dict):
            continue
        for name in first.keys() & second.keys():
            judged = _judge(first[name], second[name])
            if isinstance(judged, str):
                continue
            if judged.verdict == "differs":
                return True, (
                    f"'{name}' {when} differs between two fresh runs: {_short(judged.detail)}"
                )
            compared += judged.verdict == "equal"
    shown = runs.first.cells[f.cell].outputs
    outputs = compare_outputs(shown, runs.second.cells[f.cell].outputs)
    if not outputs.same:
        return True, f"the output differs between two fresh runs: {_short(outputs.differences[0])}"
    # a stderr warning is no evidence of what the random numbers did
    compared += any(o.get("output_type") != "stream" or o.get("name") != "stderr" for o in shown)
    drawn = _unseeded_draws(*(_mapping(k, "rng") for k in kept))
    if drawn:
        # two runs can draw equal values by chance (randint(2, 3)); a generator whose state
        # the cell moved, and that ends the cell in another state in each run, cannot
        return True, (
            f"the cell draws from {drawn}'s global generator, unseeded: its state after the "
            "cell differs between two fresh runs"
        )
    if compared:
        return False, "two fresh runs agree on the cell's outputs and the names it binds"
    return None, "nothing to compare: the cell shows nothing and binds no comparable value"


def _unseeded_draws(first: object, second: object) -> str:
    """The first global generator the cell drew from (its state moved in the cell) and that
    ends the cell in different states in the two runs; "" when none did."""
    if not isinstance(first, dict) or not isinstance(second, dict):
        return ""
    for generator in sorted(first.keys() & second.keys()):
        before, after = first[generator]
        if before != after and after != second[generator][1]:
            return str(generator)
    return ""


def _mapping(data: object, key: str) -> object:
    return data.get(key) if isinstance(data, dict) else None


# --- reading back -----------------------------------------------------------------------------


def _read(path: Path) -> object:
    """A result a kernel hook wrote, or None (the hook never ran, or its file is unreadable)."""
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        return None


def _judge(first: object, second: object) -> Comparison | str:
    """Two captured values compared as verify compares; a string says why they are not."""
    for blob in (first, second):
        if isinstance(blob, str):
            return blob
    values = []
    for blob in (first, second):
        try:
            values.append(pickle.loads(blob) if isinstance(blob, bytes) else blob)
        except Exception as exc:  # a class defined in the notebook, a library missing here
            return f"could not be read back here ({type(exc).__name__}: {_short(str(exc))})"
    judged = judge(values[0], values[1])
    return judged if isinstance(judged, Comparison) else f"not compared ({_short(judged)})"


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _short(text: str | None, limit: int = 160) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
