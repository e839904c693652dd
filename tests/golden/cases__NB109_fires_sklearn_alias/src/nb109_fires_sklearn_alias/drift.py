"""`python -m nb109_fires_sklearn_alias monitor`: the drift records of the scored batches, summarised.

`predict` appends one JSON line per batch to `monitoring/batches.jsonl` (monitoring.py).
`summarize` takes the recent batches scored with the newest artifact version (PSI against
another artifact's baseline is not comparable) and gives, per model feature and input
column, the latest PSI, the mean PSI over the recent batches, the null rates and the
out-of-contract counts, plus a row for the predictions; `table` prints it and `html` writes
a self-contained report (inline SVG, no plotting library): PSI over the batches, and the
training distribution of each feature beside the recent batches' one.

A feature's status comes from its latest PSI and `config.Thresholds`: "ok" below
`psi_warn`, "warn" from it, "ALERT" above `psi_alert` when the latest batch also differs
from training by more than sampling noise (the record's chi-square test, monitoring.py),
"unsure" above `psi_alert` when it does not: too few rows to tell. A small batch's PSI is
noisy (about 9/n on average for n rows over 10 bins), so PSI alone would raise false alarms.
"""

from __future__ import annotations

import html as _html
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nb109_fires_sklearn_alias.config import Thresholds
from nb109_fires_sklearn_alias.monitoring import FILE, OTHER

PREDICTIONS = "(predictions)"  # the name of the predictions' row
UNSURE = (
    "unsure"  # the status of a PSI above psi_alert within the batch's sampling noise
)
UNSURE_NOTE = (
    f"{UNSURE}: PSI above the alert threshold, yet within the sampling noise of a batch this "
    "size (a chi-square test of its bin counts): too few rows to tell"
)
COLORS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
)


class MonitoringError(Exception):
    """Drift records that cannot be read; the message names the file (and line)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One feature, input column or the predictions, over the recent batches."""

    name: str
    latest_psi: float | None  # None: not a model feature, or not in the latest batch
    mean_psi: float | None
    null_rate: float | None  # in the latest batch (input columns)
    training_null_rate: float | None
    out_of_contract: int  # rows of the latest batch failing the input's contract
    out_of_contract_recent: int  # summed over the recent batches
    status: str  # "ok", "warn", "ALERT", "unsure" (too few rows to tell), or "" without a PSI


@dataclass(frozen=True, slots=True)
class Summary:
    """The recent batches of one artifact version, against the thresholds."""

    version: str
    batches: int  # recent batches summarised
    recorded: int  # batches recorded with this version
    rows: int  # rows scored in the recent batches
    first: str  # time of the first and the latest recent batch
    latest: str
    table: tuple[Row, ...]
    thresholds: Thresholds

    @property
    def drifted(self) -> list[str]:
        """The features (and the predictions) above the alert threshold in the latest batch."""
        return [r.name for r in self.table if r.status == "ALERT"]


def read(folder: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of `folder/batches.jsonl`, oldest first."""
    file = Path(folder) / FILE
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise MonitoringError(f"{file}: no such file (predict writes it)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise MonitoringError(f"{file}: cannot be read: {exc}") from exc
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as exc:
            raise MonitoringError(f"{file}, line {number}: not JSON: {exc}") from exc
        if not isinstance(entry, dict) or "psi" not in entry:
            raise MonitoringError(f"{file}, line {number}: not a batch record")
        records.append(entry)
    if not records:
        raise MonitoringError(f"{file}: no batch recorded yet")
    return records


def recent(records: Sequence[Mapping[str, Any]], count: int) -> list[Mapping[str, Any]]:
    """The last `count` records of the newest record's artifact version."""
    version = records[-1].get("artifact_version")
    same = [r for r in records if r.get("artifact_version") == version]
    return same[-max(1, count) :]


def summarize(records: Sequence[Mapping[str, Any]], thresholds: Thresholds) -> Summary:
    """Per feature and input column, the latest batch and the recent ones."""
    version = str(records[-1].get("artifact_version"))
    window = recent(records, thresholds.recent_batches)
    latest = window[-1]
    names = list(dict.fromkeys([*latest.get("psi", {}), *latest.get("null_rates", {})]))
    table = [_row(name, window, thresholds) for name in names]
    scores = [_number(r.get("prediction_psi")) for r in window]
    table.append(
        Row(
            name=PREDICTIONS,
            latest_psi=scores[-1],
            mean_psi=_mean(scores),
            null_rate=None,
            training_null_rate=None,
            out_of_contract=0,
            out_of_contract_recent=0,
            # a record written before the noise test has none: its PSI decides alone
            status=_status(
                scores[-1],
                thresholds,
                latest.get("prediction_beyond_noise") is not False,
            ),
        )
    )
    return Summary(
        version=version,
        batches=len(window),
        recorded=sum(1 for r in records if r.get("artifact_version") == version),
        rows=sum(int(r.get("rows", 0)) for r in window),
        first=str(window[0].get("time", "")),
        latest=str(latest.get("time", "")),
        table=tuple(table),
        thresholds=thresholds,
    )


def table(summary: Summary) -> str:
    """The summary as a text table, one line per feature, the predictions last."""
    head = (
        "feature",
        "psi",
        f"mean{summary.batches}",
        "null",
        "null@train",
        "contract",
        "status",
    )
    lines = [head]
    for r in summary.table:
        lines.append(
            (
                r.name,
                _fmt(r.latest_psi, 3),
                _fmt(r.mean_psi, 3),
                _percent(r.null_rate),
                _percent(r.training_null_rate),
                (
                    f"{r.out_of_contract}/{r.out_of_contract_recent}"
                    if r.null_rate is not None
                    else ""
                ),
                r.status,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = [
        f"artifact {summary.version}: {summary.batches} recent batch(es) of {summary.recorded}, "
        f"{summary.rows} rows, {summary.first} .. {summary.latest}",
        f"thresholds: warn at PSI {summary.thresholds.psi_warn}, "
        f"alert above {summary.thresholds.psi_alert}",
        "",
    ]
    for line in lines:
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        text.append("  ".join(cells).rstrip())
    drifted = summary.drifted
    text += [
        "",
        (
            "drifted: " + ", ".join(drifted)
            if drifted
            else "no drift above the alert threshold"
        ),
    ]
    text.append(
        "contract: rows out of the input's contract, latest batch/recent batches"
    )
    if any(r.status == UNSURE for r in summary.table):
        text.append(UNSURE_NOTE)
    return "\n".join(text) + "\n"


def html(
    summary: Summary,
    records: Sequence[Mapping[str, Any]],
    baseline: Mapping[str, Any] | None,
) -> str:
    """A self-contained HTML report: the table, PSI over the batches, and per feature the
    training distribution beside the recent batches' (when `baseline`, the artifact's, is
    of the summarised version)."""
    t = summary.thresholds
    same = [r for r in records if str(r.get("artifact_version")) == summary.version][
        -50:
    ]
    series: dict[str, list[float | None]] = {}
    for r in summary.table:
        if r.latest_psi is not None or r.mean_psi is not None:
            key = "prediction_psi"
            series[r.name] = [
                _number(
                    b.get(key)
                    if r.name == PREDICTIONS
                    else b.get("psi", {}).get(r.name)
                )
                for b in same
            ]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Drift of nb109_fires_sklearn_alias: {_e(summary.version)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:72em}"
        "table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd;"
        "text-align:right}td:first-child,th:first-child{text-align:left}"
        ".ALERT{background:#f8d0d0}.warn{background:#fdf0c8}.unsure{background:#e8e8f4}"
        "figure{display:inline-block;margin:1em}</style></head><body>",
        "<h1>Drift of nb109_fires_sklearn_alias</h1>",
        f"<p>Artifact {_e(summary.version)}: {summary.batches} recent batch(es) of "
        f"{summary.recorded}, {summary.rows} rows, {_e(summary.first)} .. "
        f"{_e(summary.latest)}. Thresholds: warn at PSI {t.psi_warn}, alert above "
        f"{t.psi_alert}.</p>",
        "<table><tr><th>feature</th><th>latest PSI</th><th>mean PSI</th><th>null rate</th>"
        "<th>at training</th><th>out of contract (latest/recent)</th><th>status</th></tr>",
    ]
    for r in summary.table:
        contract = (
            f"{r.out_of_contract}/{r.out_of_contract_recent}"
            if r.null_rate is not None
            else ""
        )
        parts.append(
            f"<tr class='{r.status}'><td>{_e(r.name)}</td><td>{_fmt(r.latest_psi, 3)}</td>"
            f"<td>{_fmt(r.mean_psi, 3)}</td><td>{_percent(r.null_rate)}</td>"
            f"<td>{_percent(r.training_null_rate)}</td><td>{contract}</td>"
            f"<td>{r.status}</td></tr>"
        )
    parts.append("</table>")
    if any(r.status == UNSURE for r in summary.table):
        parts.append(f"<p>{_e(UNSURE_NOTE)}.</p>")
    parts.append("<h2>PSI over the batches</h2>")
    parts.append(_lines_svg(series, {"warn": t.psi_warn, "alert": t.psi_alert}))
    parts.append("<h2>Training against the recent batches</h2>")
    if baseline is None:
        parts.append("<p>No artifact of this version was given: no distributions.</p>")
    else:
        window = recent(records, t.recent_batches)
        for r in summary.table:
            found = (
                baseline.get("prediction")
                if r.name == PREDICTIONS
                else baseline.get("features", {}).get(r.name)
            )
            if not found:
                continue
            shares = [
                (
                    b.get("prediction_proportions")
                    if r.name == PREDICTIONS
                    else b.get("proportions", {}).get(r.name)
                )
                for b in window
            ]
            batch = _mean_lists([s for s in shares if s])
            labels, training = _bins(found)
            if batch is None or len(batch) != len(training):
                continue
            title = f"{r.name}: PSI {_fmt(r.latest_psi, 3)}"
            parts.append(f"<figure>{_bars_svg(labels, training, batch)}")
            parts.append(f"<figcaption>{_e(title)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _row(name: str, window: Sequence[Mapping[str, Any]], thresholds: Thresholds) -> Row:
    latest = window[-1]
    values = [_number(r.get("psi", {}).get(name)) for r in window]
    in_latest = name in latest.get("psi", {})
    nulls = latest.get("null_rates", {})
    contract = [int(r.get("out_of_contract", {}).get(name, 0)) for r in window]
    score = values[-1] if in_latest else None
    # a record written before the noise test has no "beyond_noise": its PSI decides alone
    noisy = "beyond_noise" in latest and name not in latest["beyond_noise"]
    return Row(
        name=name,
        latest_psi=score,
        mean_psi=_mean(values),
        null_rate=_number(nulls.get(name)) if name in nulls else None,
        training_null_rate=_number(latest.get("training_null_rates", {}).get(name)),
        out_of_contract=contract[-1],
        out_of_contract_recent=sum(contract),
        status=_status(score, thresholds, not noisy),
    )


def _status(score: float | None, thresholds: Thresholds, beyond_noise: bool) -> str:
    """The status of a PSI; `beyond_noise`: whether the batch passed the noise test."""
    if score is None:
        return ""
    if score > thresholds.psi_alert:
        return "ALERT" if beyond_noise else UNSURE
    return "warn" if score >= thresholds.psi_warn else "ok"


def _number(value: object) -> float | None:
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    ):
        return float(value)
    return None


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _mean_lists(lists: Sequence[Sequence[float]]) -> list[float] | None:
    if not lists or len({len(x) for x in lists}) != 1:
        return None
    return [sum(column) / len(lists) for column in zip(*lists, strict=True)]


def _bins(found: Mapping[str, Any]) -> tuple[list[str], list[float]]:
    """The labels and training proportions of a baseline's bins."""
    if found.get("kind") == "number":
        edges = [float(e) for e in found["edges"]]
        if not edges:
            return ["all"], [float(p) for p in found["proportions"]]
        labels = [f"≤{edges[0]:.3g}"]
        labels += [f"≤{b:.3g}" for b in edges[1:]]
        labels.append(f">{edges[-1]:.3g}")
        return labels, [float(p) for p in found["proportions"]]
    frequencies = found["frequencies"]
    return (
        ["other" if k == OTHER else str(k) for k in frequencies],
        [float(p) for p in frequencies.values()],
    )


def _lines_svg(
    series: Mapping[str, Sequence[float | None]], marks: Mapping[str, float]
) -> str:
    """PSI per batch, a line per feature, the thresholds dashed."""
    width, height, left, bottom, top = 760, 300, 50, 30, 10
    count = max((len(v) for v in series.values()), default=0)
    peak = max(
        [*marks.values(), *(v for s in series.values() for v in s if v is not None)]
    )
    peak = peak * 1.1 or 1.0

    def x(i: int) -> float:
        return left + (width - left - 150) * (i / max(1, count - 1))

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / peak)

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"
    ]
    out.append(
        f"<line x1='{left}' y1='{y(0):.1f}' x2='{width - 150}' y2='{y(0):.1f}' stroke='#444'/>"
    )
    for label, value in marks.items():
        out.append(
            f"<line x1='{left}' y1='{y(value):.1f}' x2='{width - 150}' y2='{y(value):.1f}' "
            f"stroke='#999' stroke-dasharray='4 3'/><text x='4' y='{y(value) + 4:.1f}' "
            f"font-size='11'>{_e(label)} {value}</text>"
        )
    for n, (name, values) in enumerate(series.items()):
        color = COLORS[n % len(COLORS)]
        points = " ".join(
            f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values) if v is not None
        )
        out.append(
            f"<polyline fill='none' stroke='{color}' stroke-width='1.5' points='{points}'/>"
        )
        out.append(
            f"<text x='{width - 140}' y='{top + 12 + 14 * n}' font-size='11' fill='{color}'>"
            f"{_e(name)}</text>"
        )
    out.append(
        f"<text x='{left}' y='{height - 8}' font-size='11'>batches (oldest left, {count})</text>"
    )
    out.append("</svg>")
    return "".join(out)


def _bars_svg(
    labels: Sequence[str], training: Sequence[float], batch: Sequence[float]
) -> str:
    """Training proportions (grey) and the recent batches' (blue), bin by bin."""
    width, height, bottom, top = 360, 200, 40, 10
    step = (width - 20) / max(1, len(labels))
    peak = max([*training, *batch, 1e-9]) * 1.1

    def h(v: float) -> float:
        return (height - top - bottom) * v / peak

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"
    ]
    base = height - bottom
    for i, (label, a, b) in enumerate(zip(labels, training, batch, strict=True)):
        x0 = 10 + i * step
        bar = step * 0.4
        out.append(
            f"<rect x='{x0:.1f}' y='{base - h(a):.1f}' width='{bar:.1f}' height='{h(a):.1f}' "
            f"fill='#bbb'><title>training {a:.3f}</title></rect>"
            f"<rect x='{x0 + bar:.1f}' y='{base - h(b):.1f}' width='{bar:.1f}' "
            f"height='{h(b):.1f}' fill='#1f77b4'><title>recent {b:.3f}</title></rect>"
            f"<text x='{x0:.1f}' y='{base + 12 + 10 * (i % 2)}' font-size='9'>"
            f"{_e(label[:10])}</text>"
        )
    out.append(
        f"<text x='10' y='{height - 4}' font-size='10'>grey: training, blue: recent batches"
        "</text></svg>"
    )
    return "".join(out)


def _fmt(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _e(text: object) -> str:
    return _html.escape(str(text), quote=True)
