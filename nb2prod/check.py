"""`check`: load, analyse and filter findings, one result value per notebook that never raises."""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

from nb2prod.analysis import analyze
from nb2prod.config import CheckOptions, config_for, merge_cli
from nb2prod.errors import InputError
from nb2prod.findings import Finding
from nb2prod.load import load
from nb2prod.notebook import Cell

_IGNORE_COMMENT = re.compile(r"#\s*nb2prod:\s*ignore(?:\[([A-Za-z0-9,\s]*)\])?")
_IGNORE_TAG = re.compile(r"^nb2prod:ignore(?:\[([A-Za-z0-9,\s]*)\])?$")


@dataclass(frozen=True, slots=True)
class Checked:
    path: str
    findings: tuple[Finding, ...]


SKIP_KINDS = frozenset({"unsupported-language"})


@dataclass(frozen=True, slots=True)
class Failed:
    """The notebook could not be checked; `kind` is "internal" for nb2prod's own bugs."""

    path: str
    kind: str
    message: str
    cell: int | None = None
    cell_id: str | None = None

    @property
    def skipped(self) -> bool:
        """Not an error: the file is fine, just not something nb2prod analyses (another language)."""
        return self.kind in SKIP_KINDS


CheckResult = Checked | Failed


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """Command-line choices layered on each file's own configuration."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()


def suppressed_codes(cell: Cell) -> frozenset[str] | None:
    """Codes silenced in this cell; an empty set silences every code; None silences nothing."""
    codes: set[str] = set()
    found = False
    for match in _IGNORE_COMMENT.finditer(cell.source):
        found = True
        if match.group(1) is None:
            return frozenset()
        codes.update(c.strip().upper() for c in match.group(1).split(",") if c.strip())
    for tag in cell.tags:
        match = _IGNORE_TAG.match(tag.strip())
        if match:
            found = True
            if match.group(1) is None:
                return frozenset()
            codes.update(c.strip().upper() for c in match.group(1).split(",") if c.strip())
    return frozenset(codes) if found else None


def _is_suppressed(finding: Finding, cells: tuple[Cell, ...]) -> bool:
    codes = suppressed_codes(cells[finding.cell])
    if codes is None:
        return False
    return not codes or any(finding.code.startswith(c) for c in codes)


def options_for(path: str, request: CheckRequest) -> CheckOptions:
    return merge_cli(config_for(path).options, select=request.select, extend_ignore=request.ignore)


def check_file(path: str, request: CheckRequest = CheckRequest()) -> CheckResult:
    """Check one notebook; input problems and internal bugs become `Failed`, never exceptions."""
    try:
        options = options_for(path, request)
        notebook = load(path)
        from nb2prod.rules import RULES

        relative = options.relative(path)
        codes = frozenset(code for code in RULES if options.enabled(code, relative))
        analysis = analyze(notebook, codes)
        kept = tuple(f for f in analysis.findings if not _is_suppressed(f, notebook.cells))
        return Checked(path, kept)
    except InputError as exc:
        message = exc.message if exc.path == path else f"{exc.path}: {exc.message}"
        return Failed(path, exc.kind, message, exc.cell, exc.cell_id)
    except RecursionError:
        return Failed(path, "too-deep", "is nested too deeply to analyse")
    except MemoryError:
        return Failed(path, "too-large", "is too large to analyse in the available memory")
    except Exception as exc:  # an nb2prod bug: keep going with the other files
        detail = "".join(traceback.format_exception(exc)).strip().splitlines()[-1]
        return Failed(path, "internal", f"internal error ({detail}); please report this")


def _check_star(args: tuple[str, CheckRequest]) -> CheckResult:
    return check_file(*args)


def check_paths(paths: Iterable[str], request: CheckRequest = CheckRequest(),
                jobs: int | None = None) -> Iterator[CheckResult]:
    """Check many notebooks, in input order; in worker processes when there are enough of them."""
    items = list(paths)
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if workers <= 1 or len(items) < 16:
        for path in items:
            yield check_file(path, request)
        return
    # fork keeps start-up cheap: the workers inherit the imported modules
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        yield from pool.map(_check_star, [(p, request) for p in items], chunksize=4)
