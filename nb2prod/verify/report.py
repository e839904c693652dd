"""Verification reports: a Markdown section, JSON, and an HTML page with per-cell diffs."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from nb2prod.convert.write import write_file_atomically
from nb2prod.verify.verification import Verification

VERDICT_WORDS = {
    "equivalent": "EQUIVALENT: every value crossing a function boundary matched the fresh notebook run "
    "(plots and display objects are listed as not compared)",
    "differs": "NOT EQUIVALENT: the generated package computes something different from the notebook",
    "unverified": "UNVERIFIED: some values could not be compared, so equivalence is not claimed",
}


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
        "findings": [f.to_json() for f in v.findings],
        "imported_modules": list(v.imported_modules),
        "golden_tests": dict(v.golden_tests),
        "normalizers": list(v.normalizers),
    }


def to_markdown(v: Verification) -> str:
    lines = ["## Verification", "", f"**{VERDICT_WORDS[v.verdict]}.**", ""]
    first = v.first_divergence
    if first is not None:
        value = next(c for c in first.values if c.verdict == "differs")
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
            f"{c.name}: {'not compared (display)' if c.verdict == 'display' else c.verdict}"
            + (
                f" ({' '.join(c.detail.split())[:80]})"
                if c.verdict != "equivalent" and c.detail
                else ""
            )
            for c in f.values
        )
        lines.append(f"| `{f.function}` | {f.module} | {f.verdict} | {values.replace('|', '/')} |")
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
    if v.golden_tests:
        lines += ["", "### Generated golden tests (tests/test_golden.py)", ""]
        lines += [f"- `{name}`: {what}" for name, what in v.golden_tests.items()]
    if v.findings:
        lines += ["", "### Findings", ""]
        lines += [f"- cell {f.cell}: {f.code} {f.message}" for f in v.findings]
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


def to_html(v: Verification) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr class='{f.verdict}'><td><code>{esc(f.function)}</code></td><td>{esc(f.module)}</td>"
        f"<td>{esc(f.verdict)}</td><td>{'<br>'.join(esc(c.name + ': ' + c.verdict + (' — ' + c.detail if c.detail and c.verdict != 'equivalent' else '')) for c in f.values)}</td></tr>"
        for f in v.functions
    )
    cells = "".join(
        f"<details{' open' if c.status in ('differs', 'fails-fresh') else ''}><summary>cell {c.cell} — {esc(c.status)}"
        f"</summary><pre>{esc(chr(10).join(c.differences)) or 'outputs match after normalisation'}</pre></details>"
        for c in v.cells
        if c.status not in ("same",)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nb2prod verification</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}} td,th{{border:1px solid #ccc;padding:.3em}}
table{{border-collapse:collapse}} .differs{{background:#fdd}} .unverified{{background:#ffd}}
.equivalent{{background:#dfd}} pre{{background:#f6f6f6;padding:.5em;white-space:pre-wrap}}</style></head>
<body><h1>nb2prod verification: {esc(Path(v.notebook).name)}</h1>
<p><strong>{esc(VERDICT_WORDS[v.verdict])}.</strong></p>
<h2>Functions</h2><table><tr><th>function</th><th>module</th><th>verdict</th><th>values</th></tr>{rows}</table>
<h2>Stored outputs against a fresh run, per cell</h2>{cells or "<p>Every executed cell matched.</p>"}
<p>Normalisers: {esc(", ".join(v.normalizers))}.</p></body></html>
"""


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
