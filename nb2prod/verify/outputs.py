"""Compare a cell's stored outputs with a fresh run's, after normalisation (normalize.py).

Numbers in text compare with the value tolerances of `nb2prod.verify.compare.Tolerances`, by
the same float rule as captured values; anything no normaliser removed is a difference.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nb2prod.verify.compare import DEFAULT_TOLERANCES, Tolerances
from nb2prod.verify.normalize import (
    Html,
    Image,
    NormalizedOutput,
    Payload,
    normalize_output,
    normalize_text,
    text_of,
)

MAX_DIFFERENCES = 20  # differences listed per comparison; the rest are counted
MAX_SHOWN = 120  # characters of a line quoted in a difference
MAX_ALIGNED = 2000  # changed regions longer than this are compared line by line, not aligned
# A number token; integers (no point, no exponent) compare exactly, the others with tolerance.
_NUMBER = re.compile(r"(?<![\w.])([-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)")


@dataclass(frozen=True, slots=True)
class OutputComparison:
    """Whether a cell's stored and fresh outputs match after normalisation, and how not."""

    same: bool
    differences: tuple[str, ...]


def _numbers_close(x: str, y: str, tol: Tolerances) -> bool:
    if x == y:
        return True
    if not any(c in x + y for c in ".eE"):  # two integers: exact
        return int(x) == int(y)
    return tol.close(float(x), float(y))


def _split(line: str) -> tuple[str, list[str]]:
    """Split a line into its skeleton (numbers replaced by `#`) and its numbers."""
    numbers = _NUMBER.findall(line)
    return (_NUMBER.sub("#", line) if numbers else line), numbers


def _line_difference(x: str, y: str, tol: Tolerances) -> str | None:
    """Say why two normalised lines differ beyond tolerance, or return None."""
    if x == y:
        return None
    (sx, nx), (sy, ny) = _split(x), _split(y)
    if sx != sy:
        return f"{_quote(x)} → {_quote(y)}"
    for a, b in zip(nx, ny, strict=False):
        if not _numbers_close(a, b, tol):
            return f"{_quote(x)} → {_quote(y)} ({a} vs {b}, beyond {tol.describe()})"
    return None


def _quote(line: str) -> str:
    return repr(line if len(line) <= MAX_SHOWN else line[:MAX_SHOWN] + "…")


def _text_differences(where: str, x: str, y: str, tol: Tolerances) -> list[str]:
    """List the differences between two normalised texts, line by line, aligned on skeletons."""
    if x == y:
        return []
    lx, ly = x.split("\n"), y.split("\n")
    # Lines that match within tolerance at both ends need no alignment; logs repeat the same
    # skeleton on every line, which would make difflib slow and its alignment arbitrary.
    start, end = 0, 0
    limit = min(len(lx), len(ly))
    while start < limit and _line_difference(lx[start], ly[start], tol) is None:
        start += 1
    while end < limit - start and _line_difference(lx[-1 - end], ly[-1 - end], tol) is None:
        end += 1
    mx, my = lx[start : len(lx) - end], ly[start : len(ly) - end]
    blocks: Sequence[tuple[str, int, int, int, int]] = [("replace", 0, len(mx), 0, len(my))]
    if len(mx) != len(my) and max(len(mx), len(my)) <= MAX_ALIGNED:
        kx, ky = [_split(line)[0] for line in mx], [_split(line)[0] for line in my]
        blocks = difflib.SequenceMatcher(None, kx, ky, autojunk=False).get_opcodes()
    found: list[str] = []
    for tag, i1, i2, j1, j2 in (
        (t, a + start, b + start, c + start, d + start) for t, a, b, c, d in blocks
    ):
        if tag in ("equal", "replace"):
            for i, j in zip(range(i1, i2), range(j1, j2), strict=False):
                problem = _line_difference(lx[i], ly[j], tol)
                if problem:
                    found.append(f"{where} line {j + 1}: {problem}")
        if tag in ("delete", "replace") and i2 - i1 > j2 - j1:
            for i in range(i1 + (j2 - j1), i2):
                found.append(f"{where} line {i + 1} of stored output missing: {_quote(lx[i])}")
        if tag in ("insert", "replace") and j2 - j1 > i2 - i1:
            for j in range(j1 + (i2 - i1), j2):
                found.append(f"{where} line {j + 1} added in fresh output: {_quote(ly[j])}")
        if len(found) > MAX_DIFFERENCES:
            break
    return found


def _html_differences(where: str, x: Html, y: Html, tol: Tolerances) -> list[str]:
    found = _text_differences(where, x.text, y.text, tol)
    if len(x.tables) != len(y.tables):
        return [*found, f"{where}: {len(x.tables)} tables → {len(y.tables)}"]
    for t, (tx, ty) in enumerate(zip(x.tables, y.tables, strict=False), start=1):
        label = f"{where} table {t}" if len(x.tables) > 1 else f"{where} table"
        header = tx[0] if tx else ()
        if tx and ty and _line_difference(" | ".join(tx[0]), " | ".join(ty[0]), tol):
            found.append(f"{label} columns: {list(tx[0])} → {list(ty[0])}")
            continue
        if len(tx) != len(ty) or any(len(r) != len(s) for r, s in zip(tx, ty, strict=False)):
            found.append(f"{label}: {len(tx)} rows → {len(ty)} rows")
            found += _text_differences(
                label,
                "\n".join(" | ".join(r) for r in tx),
                "\n".join(" | ".join(r) for r in ty),
                tol,
            )[:3]
            continue
        for r, (rx, ry) in enumerate(zip(tx, ty, strict=False)):
            for c, (cx, cy) in enumerate(zip(rx, ry, strict=False)):
                problem = _line_difference(cx, cy, tol)
                if problem:
                    column = (
                        f"column {header[c]!r}" if c < len(header) and header[c] else f"column {c}"
                    )
                    row = f"row {rx[0]!r}" if rx and rx[0] and c else f"row {r}"
                    found.append(f"{label} {row} {column}: {problem}")
    return found


def _payload_differences(where: str, x: Payload, y: Payload, tol: Tolerances) -> list[str]:
    if isinstance(x, Image) and isinstance(y, Image):
        if x.digest == y.digest or (x.width, x.height) == (y.width, y.height):
            return []
        return [f"{where}: {x.describe()} → {y.describe()}"]
    if isinstance(x, Html) and isinstance(y, Html):
        return _html_differences(where, x, y, tol)
    if isinstance(x, str) and isinstance(y, str):
        return _text_differences(where, x, y, tol)
    return [f"{where}: {type(x).__name__} → {type(y).__name__}"]


def _rich_differences(
    where: str, x: NormalizedOutput, y: NormalizedOutput, tol: Tolerances
) -> list[str]:
    if x.kind != y.kind:
        return [f"{where}: {x.kind} → {y.kind}"]
    mx, my = dict(x.data), dict(y.data)
    if set(mx) != set(my):
        gone, new = sorted(set(mx) - set(my)), sorted(set(my) - set(mx))
        parts = ([f"missing {', '.join(gone)}"] if gone else []) + (
            [f"new {', '.join(new)}"] if new else []
        )
        return [f"{where}: {'; '.join(parts)}"]
    # the richest representation first; one differing MIME type is enough to report
    order = sorted(mx, key=lambda m: (m != "text/html", m != "text/plain", m))
    for mime in order:
        found = _payload_differences(
            f"{where} {mime}" if len(mx) > 1 else where, mx[mime], my[mime], tol
        )
        if found:
            return found
    return []


def _grouped(
    outputs: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, str], list[Mapping[str, Any]]]:
    """Join stream text per stream name; keep the other outputs in order."""
    streams: dict[str, list[str]] = {}
    rich: list[Mapping[str, Any]] = []
    for output in outputs:
        if output.get("output_type") == "stream":
            streams.setdefault(str(output.get("name", "stdout")), []).append(
                text_of(output.get("text"))
            )
        else:
            rich.append(output)
    return {name: "".join(parts) for name, parts in streams.items()}, rich


def compare_outputs(
    stored: Sequence[Mapping[str, Any]],
    fresh: Sequence[Mapping[str, Any]],
    tolerances: Tolerances = DEFAULT_TOLERANCES,
) -> OutputComparison:
    """Compare a cell's stored outputs with a fresh run's, after normalisation."""
    streams_x, rich_x = _grouped(stored)
    streams_y, rich_y = _grouped(fresh)
    found: list[str] = []
    for name in sorted(set(streams_x) | set(streams_y)):
        raw_x, raw_y = streams_x.get(name, ""), streams_y.get(name, "")
        if raw_x != raw_y:  # identical text needs no normalising (most cells; some are megabytes)
            text_x = normalize_text(raw_x, stderr=name == "stderr")
            text_y = normalize_text(raw_y, stderr=name == "stderr")
            found += _text_differences(name, text_x, text_y, tolerances)
    for i, (rx, ry) in enumerate(zip(rich_x, rich_y, strict=False), start=1):
        if _essence(rx) != _essence(ry):
            x, y = normalize_output(rx), normalize_output(ry)
            found += _rich_differences(f"output {i} ({x.kind})", x, y, tolerances)
    for i in range(len(rich_y), len(rich_x)):
        x = normalize_output(rich_x[i])
        found.append(f"output {i + 1} ({x.kind}) missing from the fresh run: {_summary(x)}")
    for i in range(len(rich_x), len(rich_y)):
        y = normalize_output(rich_y[i])
        found.append(f"output {i + 1} ({y.kind}) new in the fresh run: {_summary(y)}")
    if len(found) > MAX_DIFFERENCES:
        found = [*found[:MAX_DIFFERENCES], f"… and {len(found) - MAX_DIFFERENCES} more"]
    return OutputComparison(not found, tuple(found))


def _essence(output: Mapping[str, Any]) -> tuple[Any, ...]:
    """Return what of a raw output is compared at all (no counts, no metadata)."""
    return (
        output.get("output_type"),
        output.get("data"),
        output.get("ename"),
        output.get("evalue"),
    )


def _summary(output: NormalizedOutput) -> str:
    for _mime, payload in output.data:
        if isinstance(payload, str):
            return _quote(payload.split("\n", 1)[0])
        if isinstance(payload, Image):
            return payload.describe()
    return ", ".join(m for m, _ in output.data) or "(empty)"
