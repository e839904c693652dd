"""NB101, NB102, NB107: the execution counts stored in the notebook.

A stored count of 0 is unknown (Colab saves 0 for every cell), and so is the order of a page
whose known counts are all equal: NB101 and NB107 read only the counts that say something.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice

from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding, Related
from nb2prod.core.rules import finding
from nb2prod.notebook.model import Cell

# Calls that change a library's global state (beside any `set...`): a cell making one shares
# state with every later cell using that library (display options, seeds, styles, sys.path).
_STATE_SETTERS = frozenset(
    {
        "seed",
        "manual_seed",
        "use",
        "rc",
        "filterwarnings",
        "simplefilter",
        "chdir",
        "append",
        "insert",
        "update",
        "reset_option",
        "enable",
        "disable",
        "load_ext",
        "register",
    }
)
MAX_RELATED = 100  # cells a NB101 finding lists as put out of order, besides its late cells


@dataclass(frozen=True, slots=True)
class _Run:
    """An executed code cell with a known count; `at` is its place among such cells."""

    at: int
    cell: Cell
    count: int


def _executed(analysis: Analysis) -> list[Cell]:
    return [c for c in analysis.notebook.cells if c.is_code and c.execution_count is not None]


def _known_runs(analysis: Analysis) -> list[_Run]:
    """Cells whose count tells the order they ran in, in page order; [] when none does."""
    cells = [c for c in _executed(analysis) if (c.execution_count or 0) > 0]
    runs = [_Run(at, c, c.execution_count or 0) for at, c in enumerate(cells)]
    if len(runs) > 1 and len({r.count for r in runs}) == 1:
        return []  # every count the same: a tool stamped them, the order is unknown
    return runs


def _in_order(counts: Sequence[int]) -> list[bool]:
    """Which counts belong to a longest strictly increasing subsequence, in O(n log n).

    Of the longest ones, the one keeping the smallest counts: the cells left out are then the
    ones that ran late (in [1, 5, 3] cell 5 ran after cell 3 below it, so 5 is the odd one).
    """
    tails: list[int] = []  # tails[k]: the smallest last count of an increasing run of k + 1
    length = []  # length[i]: the longest increasing run ending at counts[i]
    for count in counts:
        k = bisect_left(tails, count)
        if k == len(tails):
            tails.append(count)
        else:
            tails[k] = count
        length.append(k + 1)
    # Walking back, the last count with the wanted length is also the smallest such count
    # that can precede the one after it (counts of equal length fall down the page).
    keep = [False] * len(counts)
    want, bound = len(tails), None
    for i in range(len(counts) - 1, -1, -1):
        if want and length[i] == want and (bound is None or counts[i] < bound):
            keep[i] = True
            want, bound = want - 1, counts[i]
    return keep


def _late_causes(runs: list[_Run]) -> tuple[list[list[_Run]], list[_Run]]:
    """The cells outside the longest ordered run grouped into causes, and the cells in it.

    Adjacent late cells whose counts rise ran as one block (shift-enter down the page), and
    late blocks out of order with one another (a page run from the bottom up) are one
    disorder: grouping them keeps a reversed page from giving one finding per block.
    """
    keep = _in_order([r.count for r in runs])
    blocks: list[list[_Run]] = []
    for run in runs:
        if keep[run.at]:
            continue
        last = blocks[-1][-1] if blocks else None
        if last is not None and last.at == run.at - 1 and last.count < run.count:
            blocks[-1].append(run)
        else:
            blocks.append([run])
    # Connected parts of "an earlier block has a count >= a later one's": a stack of parts
    # with rising maxima, so each block merges with the top parts it is out of order with.
    stack: list[tuple[list[_Run], int]] = []
    for block in blocks:
        members, highest = block, block[-1].count
        while stack and stack[-1][1] >= block[0].count:
            above, top = stack.pop()
            members, highest = above + members, max(highest, top)
        stack.append((members, highest))
    # Parts left on the stack are in order with one another (no count of an earlier part
    # reaches one of a later part), so a cause puts out of order only cells of the kept run.
    return [members for members, _ in stack], [r for r in runs if keep[r.at]]


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Half-open index ranges merged where they touch or overlap, in order."""
    merged: list[tuple[int, int]] = []
    for low, high in sorted(s for s in spans if s[0] < s[1]):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _affected(
    places: list[int], counts: list[int], members: list[_Run]
) -> tuple[list[range], list[range]]:
    """The kept cells below a late cell that ran before it, and above one that did not run
    before it, as ranges of the kept run (its `places` and `counts` both rise: bisect finds them).
    """
    below = [(bisect_right(places, g.at), bisect_right(counts, g.count)) for g in members]
    above = [(bisect_left(counts, g.count), bisect_left(places, g.at)) for g in members]
    return [range(*s) for s in _union(below)], [range(*s) for s in _union(above)]


def _contains(spans: list[range]) -> Callable[[int], bool]:
    """Membership in sorted, disjoint ranges, by bisect."""
    starts = [s.start for s in spans]

    def within(k: int) -> bool:
        at = bisect_right(starts, k) - 1
        return at >= 0 and k in spans[at]

    return within


def _span(counts: Sequence[int]) -> str:
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}-{high}"


def _cells(kept: list[_Run], spans: list[range]) -> str:
    n = sum(len(s) for s in spans)
    first, last = kept[spans[0][0]], kept[spans[-1][-1]]
    if n == 1:
        return f"cell {first.cell.index} (count {first.count})"
    return f"{n} cells (counts {_span([first.count, last.count])})"


def _together(others: Sequence[_Run]) -> str:
    if not others:
        return ""
    if len(others) > 5:
        return f" with {len(others)} other cells"
    plural = "s" if len(others) > 1 else ""
    return f" with cell{plural} {', '.join(str(r.cell.index) for r in others)}"


def _names(analysis: Analysis, cells: Iterable[Cell]) -> tuple[set[str], set[str]] | None:
    """The names some of `cells` bind or change, and the names they read; None when a cell's
    names cannot be known (it does not parse, or it runs code nobody can see)."""
    changed: set[str] = set()
    read: set[str] = set()
    for cell in cells:
        sym = analysis.symbols[cell.index]
        if sym is None or sym.parse_error is not None or sym.hidden_origins:
            return None
        changed.update(r.name for r in sym.defines)
        changed.update(m.name for m in sym.mutations)
        read.update(r.name for r in (*sym.uses, *sym.deferred_uses))
        for call in sym.calls:  # pd.set_option(...), np.random.seed(...): a library's state
            root, _, attr = call.name.rpartition(".")
            if root and (attr.startswith("set") or attr in _STATE_SETTERS):
                changed.add(root.split(".")[0])
    return changed, read


def _shares_state(analysis: Analysis, late: Sequence[_Run], passed: Iterable[_Run]) -> bool:
    """Whether the late cells and the cells they passed touch a common name, one writing it.

    Cells that share no name give the same results in either order: their disorder is not
    hidden state, so it is not worth a finding.
    """
    ours = _names(analysis, (r.cell for r in late))
    theirs = _names(analysis, (r.cell for r in passed))
    if ours is None or theirs is None:
        return True
    (our_changes, our_reads), (their_changes, their_reads) = ours, theirs
    return bool(our_changes & (their_reads | their_changes) or our_reads & their_changes)


def out_of_order(analysis: Analysis) -> Iterator[Finding]:
    """One finding per cause of disorder that can change a result: the other late cells and
    the cells they left out of order are in `related`."""
    causes, kept = _late_causes(_known_runs(analysis))
    places, counts = [r.at for r in kept], [r.count for r in kept]
    for members in causes:
        members.sort(key=lambda r: r.at)
        below, above = _affected(places, counts, members)
        if not below and not above:
            continue  # cannot happen for a cell outside a longest ordered run
        if not _shares_state(analysis, members, (kept[k] for k in chain(*below, *above))):
            continue
        first, others = members[0], members[1:]
        notes = {r.at: f"ran out of order too (count {r.count})" for r in others}
        # a cause can pass most of a long page: the first MAX_RELATED of those are listed
        listed = list(dict.fromkeys(islice(chain(*below, *above), MAX_RELATED)))
        is_above, is_below = _contains(above), _contains(below)
        for k in listed:
            sides = [
                side for side, within in (("above", is_above), ("below", is_below)) if within(k)
            ]
            notes[kept[k].at] = f"{' and '.join(sides)}, count {kept[k].count}"
        cell_of = {r.at: r.cell for r in (*others, *(kept[k] for k in listed))}
        related = tuple(
            Related(cell_of[at].index, cell_of[at].id, note=note)
            for at, note in sorted(notes.items())
        )
        if others:
            they, them = "they", "them"
            subject = f"with counts {_span([r.count for r in members])} they"
        else:
            they, them = "it", "it"
            subject = f"with count {first.count} it"
        reasons = []
        if below:
            reasons.append(f"{subject} ran after {_cells(kept, below)} below {them}")
        if above:
            done = "did not all run" if others else "did not run"
            reasons.append(
                f"{they if below else subject} {done} after {_cells(kept, above)} above {them}"
            )
        yield finding(
            "NB101",
            first.cell.index,
            first.cell.id,
            f"ran out of page order{_together(others)}: {'; '.join(reasons)}: the cells ran "
            "in a different order than the page shows",
            related=related,
        )


def _is_code(cell: Cell) -> bool:
    """Something to run: not only blank lines and comments."""
    return any(
        line.strip() and not line.lstrip().startswith("#") for line in cell.source.splitlines()
    )


def _never_ran(cell: Cell) -> bool:
    # a cell with stored outputs ran, even when its count was cleared
    return cell.execution_count is None and not cell.outputs and _is_code(cell)


def unexecuted(analysis: Analysis) -> Iterator[Finding]:
    """One finding per block of adjacent code cells that never ran, the rest of the block related."""
    if not _executed(analysis):
        return
    block: list[Cell] = []
    for cell in (*analysis.notebook.code_cells, None):
        if cell is not None and _never_ran(cell):
            block.append(cell)
            continue
        if cell is not None and cell.is_blank:
            continue  # an empty cell between two never-run ones does not split the block
        if block:
            first, rest = block[0], block[1:]
            what = (
                f"code cell and the {len(rest)} after it were never executed, although other "
                "cells were: the stored results do not include them"
                if rest
                else "code cell was never executed, although other cells were: the stored "
                "results do not include it"
            )
            yield finding(
                "NB102",
                first.index,
                first.id,
                what,
                related=tuple(Related(c.index, c.id, note="also never executed") for c in rest),
            )
            block = []


def _gaps(counts: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Maximal runs (first, last) of integers in 1..max(counts) that are no cell's count."""
    expected = 1
    for count in sorted(set(counts)):
        if count > expected:
            yield expected, count - 1
        expected = count + 1


def count_gap(analysis: Analysis) -> Iterator[Finding]:
    """One finding per run of counts that no cell on the page has."""
    runs = _known_runs(analysis)
    if not runs:
        return
    first_with: dict[int, Cell] = {}
    for run in runs:
        first_with.setdefault(run.count, run.cell)
    # cells stored with count 0, in page order (so sorted for bisect)
    unknown = [c.index for c in analysis.notebook.cells if c.is_code and c.execution_count == 0]
    for start, end in _gaps([r.count for r in runs]):
        missing = end - start + 1
        after = first_with[end + 1]
        before = first_with.get(start - 1)
        # cells stored with count 0 between the two neighbours may be the missing runs
        low, high = sorted((before.index if before else -1, after.index))
        if bisect_left(unknown, high) - bisect_right(unknown, low) >= missing:
            continue
        if before is None:
            detail = f"execution counts start at {end + 1}"
        else:
            detail = f"execution count jumps from {start - 1} to {end + 1}"
        yield finding(
            "NB107",
            after.index,
            after.id,
            f"{detail}: {missing} execution{'s' if missing != 1 else ''} not on the page "
            "(deleted cells or cells run repeatedly)",
        )
