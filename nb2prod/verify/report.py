"""Verification reports: a Markdown section, JSON, an HTML page with per-cell diffs, and the
fresh run of the notebook as a page of its own (nb2prod-run.html, nbconvert)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from nb2prod.convert.write import write_file_atomically
from nb2prod.core.findings import Finding
from nb2prod.core.rules import RULES
from nb2prod.core.vocabulary import Verdict
from nb2prod.verify.confirm import Confirmation
from nb2prod.verify.run_page import RUN_PAGE, Mark, render_run_page
from nb2prod.verify.verification import CellCheck, Verification

VERDICT_WORDS = {
    Verdict.EQUIVALENT: "EQUIVALENT: every value crossing a function boundary matched the fresh notebook run "
    "(plots and display objects are listed as not compared)",
    Verdict.DIFFERS: "NOT EQUIVALENT: the generated package computes something different from the notebook",
    Verdict.UNVERIFIED: "UNVERIFIED: some values could not be compared, so equivalence is not claimed",
}
# A package without functions has nothing to compare: unverified, but not for want of a value.
NOTHING_TO_COMPARE = (
    "UNVERIFIED: nothing to compare: the notebook converts to no function (every statement is "
    "exploration, display or setup), so equivalence is not claimed"
)


def headline(v: Verification) -> str:
    """The verdict sentence every report and the CLI give for this verification."""
    if v.verdict is Verdict.UNVERIFIED and not v.functions:
        return NOTHING_TO_COMPARE
    return VERDICT_WORDS[v.verdict]


# How a report names a finding's `confirmed`.
DECIDED_WORDS = {True: "confirmed", False: "refuted", None: "undecided"}


def confirmation_summary(c: Confirmation) -> str:
    """One sentence: what this verification's runs made of check's findings."""
    counts = {word: 0 for word in DECIDED_WORDS.values()}
    for f in c.findings:
        counts[DECIDED_WORDS[f.confirmed]] += 1
    if not c.findings:
        return "nb2prod check reports no finding for this notebook"
    total = len(c.findings)
    return (
        f"nb2prod check reports {total} finding{'s' if total > 1 else ''} for this notebook; "
        f"the fresh run confirmed {counts['confirmed']}, refuted {counts['refuted']} (left out) "
        f"and left {counts['undecided']} undecided"
    )


def _finding_json(f: Finding, c: Confirmation | None) -> dict[str, object]:
    data = f.to_json()
    why = c.why(f) if c is not None else None
    if why is not None:
        data["evidence"] = why
    return data


def _confirmation_json(c: Confirmation | None) -> dict[str, Any] | None:
    if c is None:
        return None
    counts = {word: 0 for word in DECIDED_WORDS.values()}
    for f in c.findings:
        counts[DECIDED_WORDS[f.confirmed]] += 1
    return {
        **counts,
        "runs": c.runs,
        "stopped_at": c.stopped_at,
        "stop_reason": c.stop_reason,
        # every finding of check, refuted ones included, with what the run showed
        "findings": [_finding_json(f, c) for f in c.findings],
    }


def _decided(f: Finding, c: Confirmation | None) -> str:
    """ " (confirmed by the fresh run: why)" for one of check's findings; "" for verify's own."""
    why = c.why(f) if c is not None else None
    if why is None:
        return ""
    if f.confirmed is True:
        return f" (confirmed by the fresh run: {why})"
    return f" ({DECIDED_WORDS[f.confirmed]}: {why})"


def to_json(v: Verification) -> dict[str, Any]:
    return {
        "version": 1,
        "verdict": v.verdict,
        "notebook": v.notebook,
        "package_dir": v.package_dir,
        "first_divergence": v.first_divergence.function if v.first_divergence else None,
        "package_error": v.package_error,
        "seconds": {
            "notebook": round(v.notebook_seconds, 2),
            "package": round(v.package_seconds, 2),
            "wall": round(v.wall_seconds, 2),
        },
        "functions": [
            {
                "function": f.function,
                "module": f.module,
                "cells": list(f.cells),
                "verdict": f.verdict,
                "values": [
                    {"name": c.name, "verdict": c.verdict, "detail": c.detail} for c in f.values
                ],
            }
            for f in v.functions
        ],
        "cells": [
            {
                "cell": c.cell,
                "cell_id": c.cell_id,
                "status": c.status,
                "differences": list(c.differences),
            }
            for c in v.cells
        ],
        "findings": [_finding_json(f, v.confirmation) for f in v.findings],
        # check's findings decided by this run (docs/confirm.md); null: not asked for
        "confirmation": _confirmation_json(v.confirmation),
        "imported_modules": list(v.imported_modules),
        "golden_tests": dict(v.golden_tests),
        # predict() on the rows the notebook scored; null: the notebook fits no model
        "predict": v.predict.to_json() if v.predict is not None else None,
        "predict_test": v.predict_test or None,
        "normalizers": list(v.normalizers),
        "run_page": RUN_PAGE if v.fresh_notebook is not None else None,
    }


def to_markdown(v: Verification) -> str:
    lines = ["## Verification", "", f"**{headline(v)}.**", ""]
    first, value = v.first_divergence, v.first_difference
    if first is not None and value is not None:
        lines += [
            f"First diverging function: `{first.function}` ({first.module}, cells "
            f"{', '.join(map(str, first.cells))}), variable `{value.name}`:",
            "",
            "```text",
            value.detail.strip() or "(no detail)",
            "```",
            "",
        ]
    if v.package_error:
        lines += [f"The package run failed: `{v.package_error}`", ""]
    lines += ["| function | module | verdict | values |", "|---|---|---|---|"]
    for f in v.functions:
        values = "; ".join(
            f"{c.name}: {'not compared (display)' if c.verdict is Verdict.DISPLAY else c.verdict}"
            + (
                f" ({' '.join(c.detail.split())[:80]})"
                if c.verdict is not Verdict.EQUIVALENT and c.detail
                else ""
            )
            for c in f.values
        )
        lines.append(f"| `{f.function}` | {f.module} | {f.verdict} | {values.replace('|', '/')} |")
    lines += _predict_markdown(v)
    lines += ["", "### The notebook itself: stored outputs against a fresh run", ""]
    counts: dict[str, int] = {}
    for c in v.cells:
        counts[c.status] = counts.get(c.status, 0) + 1
    lines.append(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + ".")
    lines.append("")
    for c in v.cells:
        if c.status in ("differs", "nondeterministic", "fails-fresh"):
            lines.append(
                f"- cell {c.cell} ({c.status}): "
                + "; ".join(d.replace("\n", " ")[:160] for d in c.differences[:3])
            )
    if v.fresh_notebook is not None:
        lines += [
            "",
            f"The fresh run as a notebook page, the cells that disagree with the saved outputs marked: [{RUN_PAGE}]({RUN_PAGE}).",
        ]
    if v.golden_tests:
        lines += ["", "### Generated golden tests (tests/test_golden.py)", ""]
        lines += [f"- `{name}`: {what}" for name, what in v.golden_tests.items()]
    confirmation = v.confirmation
    if v.findings or (confirmation is not None and confirmation.findings):
        lines += ["", "### Findings", ""]
        if confirmation is not None:
            lines += [confirmation_summary(confirmation) + " (docs/confirm.md).", ""]
        lines += [
            f"- cell {f.cell}: {f.code} {f.message}{_decided(f, confirmation)}".replace("\n", " ")
            for f in v.findings
        ]
        if confirmation is not None and confirmation.refuted:
            lines += ["", "Refuted by the fresh run, so not reported:", ""]
            lines += [
                f"- cell {f.cell}: {f.code} {f.message} ({confirmation.why(f)})"
                for f in confirmation.refuted
            ]
    lines += [
        "",
        f"Normalisers applied to outputs before comparing: {', '.join(v.normalizers)} "
        "(docs/verification.md).",
        "",
        f"Time: notebook {v.notebook_seconds:.1f} s, package {v.package_seconds:.1f} s (run side by side), "
        f"wall {v.wall_seconds:.1f} s.",
        "",
    ]
    return "\n".join(lines)


def _predict_markdown(v: Verification) -> list[str]:
    """The predict path's section: its verdict line, then each value compared."""
    check = v.predict
    if check is None:
        return []
    lines = ["", "### Predict path", "", f"**{check.line()}.**", ""]
    if check.oracle:  # the notebook scored no rows: its own fitted model is the reference
        compared = (
            f"on the raw rows behind the matrix the notebook fitted on (the target dropped), "
            f"against the notebook's own `{check.oracle}` in its fresh run"
        )
    else:
        compared = (
            "on the raw rows the notebook scored (the target dropped), against the notebook's "
            "fresh run"
        )
    lines.append(
        f"`predict()` with the artifact `train()` saved, {compared}; this verdict is beside "
        "the one above, not part of it."
    )
    if check.compared:
        lines += ["", "| value | verdict | detail |", "|---|---|---|"]
        for c in check.compared:
            shown = "not compared" if c.verdict is Verdict.DISPLAY else str(c.verdict)
            detail = " ".join(c.detail.split())[:160].replace("|", "/") or "—"
            lines.append(f"| `{c.name}` | {shown} | {detail} |")
    if v.predict_test:
        lines += ["", f"Generated test: {v.predict_test}."]
    return lines


def _predict_html(v: Verification) -> str:
    check = v.predict
    if check is None:
        return ""
    esc = html.escape
    rows = "".join(
        f"<tr class='{c.verdict}'><td><code>{esc(c.name)}</code></td><td>{esc(c.verdict)}</td>"
        f"<td>{esc(c.detail)}</td></tr>"
        for c in check.compared
    )
    table = (
        f"<table><tr><th>value</th><th>verdict</th><th>detail</th></tr>{rows}</table>"
        if rows
        else ""
    )
    test = f"<p>Generated test: {esc(v.predict_test)}.</p>" if v.predict_test else ""
    return (
        f"<h2>Predict path</h2><p class='{check.verdict}'><strong>{esc(check.line())}.</strong>"
        f"</p>{table}{test}"
    )


def to_html(v: Verification) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr class='{f.verdict}'><td><code>{esc(f.function)}</code></td><td>{esc(f.module)}</td>"
        f"<td>{esc(f.verdict)}</td><td>{'<br>'.join(esc(c.name + ': ' + c.verdict + (' — ' + c.detail if c.detail and c.verdict is not Verdict.EQUIVALENT else '')) for c in f.values)}</td></tr>"
        for f in v.functions
    )
    cells = "".join(
        f"<details{' open' if c.status in ('differs', 'fails-fresh') else ''}><summary>cell {c.cell} — {esc(c.status)}"
        f"</summary><pre>{esc(chr(10).join(c.differences)) or 'outputs match after normalisation'}</pre></details>"
        for c in v.cells
        if c.status not in ("same",)
    )
    confirmation = v.confirmation
    said = [
        (f, *_run_said(f, confirmation))
        for f in (*v.findings, *(confirmation.refuted if confirmation is not None else ()))
    ]
    finding_rows = "".join(
        f"<tr class='{kind}'><td>{f.cell}</td><td>{esc(f.code)}</td><td>{esc(f.message)}</td>"
        f"<td>{esc(text)}</td></tr>"
        for f, kind, text in said
    )
    summary = (
        f"<p>{esc(confirmation_summary(confirmation))}.</p>" if confirmation is not None else ""
    )
    findings = (
        f"<h2>Findings</h2>{summary}<table><tr><th>cell</th><th>rule</th><th>message</th>"
        f"<th>the fresh run</th></tr>{finding_rows}</table>"
        if said
        else ""
    )
    run_link = (
        f"<p>The fresh run as a notebook page, the cells that disagree with the saved outputs marked: <a href='{RUN_PAGE}'>{RUN_PAGE}</a>.</p>"
        if v.fresh_notebook is not None
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nb2prod verification</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}} td,th{{border:1px solid #ccc;padding:.3em}}
table{{border-collapse:collapse}} .differs{{background:#fdd}} .unverified{{background:#ffd}}
.confirmed{{background:#fde}} .refuted{{color:#777;text-decoration:line-through}}
.equivalent{{background:#dfd}} pre{{background:#f6f6f6;padding:.5em;white-space:pre-wrap}}</style></head>
<body><h1>nb2prod verification: {esc(Path(v.notebook).name)}</h1>
<p><strong>{esc(headline(v))}.</strong></p>
<h2>Functions</h2><table><tr><th>function</th><th>module</th><th>verdict</th><th>values</th></tr>{rows}</table>
{_predict_html(v)}
<h2>Stored outputs against a fresh run, per cell</h2>{cells or "<p>Every executed cell matched.</p>"}{run_link}
{findings}
<p>Normalisers: {esc(", ".join(v.normalizers))}.</p></body></html>
"""


def _run_said(f: Finding, c: Confirmation | None) -> tuple[str, str]:
    """(CSS class, text): what the fresh run made of one of check's findings; verify's own
    findings are what its runs found."""
    why = c.why(f) if c is not None else None
    if why is None:
        return "", "found by this verification"
    return DECIDED_WORDS[f.confirmed], f"{DECIDED_WORDS[f.confirmed]}: {why}"


def write_reports(v: Verification, package_dir: Path) -> None:
    """Add the verification to the package's nb2prod-report.{md,json} and write the HTML page."""
    md_path = package_dir / "nb2prod-report.md"
    base = md_path.read_text("utf-8") if md_path.is_file() else "# nb2prod report\n"
    base = base.split("\n## Verification\n")[0].rstrip("\n") + "\n\n"
    write_file_atomically(md_path, base + to_markdown(v))
    json_path = package_dir / "nb2prod-report.json"
    data = json.loads(json_path.read_text("utf-8")) if json_path.is_file() else {}
    data["verification"] = to_json(v)
    write_file_atomically(json_path, json.dumps(data, indent=2) + "\n")
    write_file_atomically(package_dir / "nb2prod-report.html", to_html(v))
    page = package_dir / RUN_PAGE
    if v.fresh_notebook is None:
        page.unlink(missing_ok=True)  # a page of an earlier run would contradict these reports
        return
    text = render_run_page(
        v.fresh_notebook,
        run_marks(v.cells, v.confirmation),
        title=Path(v.notebook).name,
        report_link="nb2prod-report.html",
    )
    write_file_atomically(page, text)


# How the run page marks a cell, by CellCheck.status: (CSS class suffix, rule, what it means).
_MARKS = {
    "differs": (
        "differs",
        "NB301",
        "stored output differs from a fresh run (hidden state); saved → fresh",
    ),
    "nondeterministic": (
        "nondeterministic",
        "NB303",
        "stored output differs from a fresh run, and two fresh runs differ too: "
        "nondeterministic, not hidden state",
    ),
    "fails-fresh": ("stopped", "NB302", "the fresh run stopped here: the cell fails"),
    "timeout": ("stopped", "NB304", "the fresh run stopped here: the cell timed out"),
    "error-both": (
        "stopped",
        "",
        "the fresh run stopped here; the saved notebook shows an error here too",
    ),
}


def run_marks(
    cells: tuple[CellCheck, ...], confirmation: Confirmation | None = None
) -> tuple[Mark, ...]:
    """The cells the run page marks: where the fresh run and the stored outputs disagree, and
    check's findings the run confirmed (refuted and undecided ones are no news of the run)."""
    marks = []
    stopped: CellCheck | None = None
    for c in cells:
        if c.status in _MARKS:
            kind, code, title = _MARKS[c.status]
            details = tuple(d for d in c.differences if d)
            marks.append(Mark(c.cell, c.cell_id, kind, code, title, details))
            if kind == "stopped":
                stopped = stopped or c
        elif c.status == "not-run" and stopped is not None:
            title = f"not run: the fresh run stopped at cell {stopped.cell}"
            marks.append(Mark(c.cell, c.cell_id, "not-run", "", title))
    if confirmation is not None:
        for f, why in zip(confirmation.findings, confirmation.evidence, strict=True):
            if f.confirmed is True:
                title = f"{RULES[f.code].title}, confirmed by this run"
                marks.append(Mark(f.cell, f.cell_id, "confirmed", f.code, title, (f.message, why)))
    return tuple(sorted(marks, key=lambda m: m.cell))
