"""Render check results as text, JSON (a versioned contract), SARIF 2.1.0 or GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from nb2prod import __version__
from nb2prod.core.errors import location
from nb2prod.core.findings import Finding, Related, Severity
from nb2prod.lint.check import CheckResult, Failed
from nb2prod.lint.rules import RULES

JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


_SHOWN_RELATED = 8  # runs of cell numbers a one-line format lists before "and N more"


def _error_prefix(result: Failed) -> str:
    return location(result.path, result.cell)  # no line: the check outputs never showed one


def _cell_runs(cells: set[int]) -> list[tuple[int, int]]:
    """Cell numbers with consecutive ones joined: {3, 4, 5, 9} -> (3, 5), (9, 9)."""
    runs: list[tuple[int, int]] = []
    for cell in sorted(cells):
        if runs and cell == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], cell)
        else:
            runs.append((cell, cell))
    return runs


def _also(f: Finding) -> str:
    """The other cells of the finding's cause, for one-line formats: " (also cells 5, 9-12)"."""
    cells = {r.cell for r in f.related} - {f.cell}
    if not cells:
        return ""
    runs = _cell_runs(cells)
    shown = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs[:_SHOWN_RELATED])
    if len(runs) > _SHOWN_RELATED:
        shown += f" and {sum(b - a + 1 for a, b in runs[_SHOWN_RELATED:])} more"
    return f" (also cell{'s' if len(cells) > 1 else ''} {shown})"


def render_text(results: Sequence[CheckResult]) -> str:
    lines: list[str] = []
    n_findings = n_failed = n_skipped = 0
    for result in results:
        if isinstance(result, Failed):
            if result.skipped:
                n_skipped += 1
                lines.append(f"{_error_prefix(result)}: skipped: {result.message}")
                continue
            n_failed += 1
            lines.append(f"{_error_prefix(result)}: error: {result.message}")
            continue
        for f in result.findings:
            n_findings += 1
            lines.append(
                f"{result.path}:cell {f.cell}:line {f.line}: {f.code} {f.message}{_also(f)}"
            )
    checked = len(results) - n_failed - n_skipped
    summary = f"Found {n_findings} finding{'s' if n_findings != 1 else ''} in {checked} notebook{'s' if checked != 1 else ''}"
    if n_failed:
        summary += f"; {n_failed} file{'s' if n_failed != 1 else ''} could not be checked"
    if n_skipped:
        summary += f"; {n_skipped} skipped (not Python)"
    lines.append(summary + ".")
    return "\n".join(lines) + "\n"


def to_json_document(results: Sequence[CheckResult]) -> dict[str, object]:
    notebooks: list[dict[str, object]] = []
    for result in results:
        if isinstance(result, Failed):
            notebooks.append(
                {
                    "path": result.path,
                    "findings": [],
                    "error": {"kind": result.kind, "message": result.message, "cell": result.cell},
                }
            )
        else:
            notebooks.append(
                {
                    "path": result.path,
                    "findings": [f.to_json() for f in result.findings],
                    "error": None,
                }
            )
    return {"version": JSON_VERSION, "notebooks": notebooks}


def render_json(results: Sequence[CheckResult]) -> str:
    return json.dumps(to_json_document(results), indent=2, ensure_ascii=False) + "\n"


def _uri(path: str) -> str:
    return Path(path).as_posix()


def _logical(path: str, cell: int, line: int) -> dict[str, object]:
    return {
        "name": f"cell {cell}",
        "fullyQualifiedName": f"{_uri(path)}#cell={cell}:line={line}",
        "kind": "module",
    }


def _sarif_related(path: str, related: Sequence[Related]) -> list[dict[str, object]]:
    return [
        {
            "id": number,
            "physicalLocation": {"artifactLocation": {"uri": _uri(path)}},
            "logicalLocations": [_logical(path, r.cell, r.line)],
            "message": {"text": r.note or f"cell {r.cell}"},
            "properties": {"cell": r.cell, "cellId": r.cell_id, "line": r.line, "column": r.column},
        }
        for number, r in enumerate(related)
    ]


def _sarif_result(path: str, f: Finding, rule_index: int) -> dict[str, object]:
    properties: dict[str, object] = {
        "cell": f.cell,
        "cellId": f.cell_id,
        "line": f.line,
        "column": f.column,
        "names": list(f.names),
    }
    if f.confirmed is not None:
        properties["confirmed"] = f.confirmed
    result: dict[str, object] = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": "error" if f.severity is Severity.ERROR else "warning",
        "message": {"text": f"cell {f.cell}, line {f.line}: {f.message}"},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": _uri(path)}},
                "logicalLocations": [_logical(path, f.cell, f.line)],
            }
        ],
        "partialFingerprints": {"nb2prod/v1": f"{f.code}:{f.cell_id}:{','.join(f.names)}"},
        "properties": properties,
    }
    if f.related:
        result["relatedLocations"] = _sarif_related(path, f.related)
    return result


def to_sarif(results: Sequence[CheckResult]) -> dict[str, object]:
    rule_ids = list(RULES)
    rules = [
        {
            "id": rule.code,
            "name": rule.title.title().replace(" ", "").replace("-", ""),
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": f"{rule.code}: {rule.title}; see {rule.doc_path}"},
            "defaultConfiguration": {"level": rule.severity.value},
            "properties": {"documentation": rule.doc_path},
        }
        for rule in RULES.values()
    ]
    sarif_results = []
    notifications = []
    for result in results:
        if isinstance(result, Failed):
            notifications.append(
                {
                    "level": "note" if result.skipped else "error",
                    "message": {"text": f"{_error_prefix(result)}: {result.message}"},
                    "locations": [
                        {"physicalLocation": {"artifactLocation": {"uri": _uri(result.path)}}}
                    ],
                }
            )
            continue
        for f in result.findings:
            sarif_results.append(_sarif_result(result.path, f, rule_ids.index(f.code)))
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "nb2prod", "version": __version__, "rules": rules}},
                "invocations": [
                    {
                        "executionSuccessful": not any(
                            n["level"] == "error" for n in notifications
                        ),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": sarif_results,
            }
        ],
    }


def render_sarif(results: Sequence[CheckResult]) -> str:
    return json.dumps(to_sarif(results), indent=2, ensure_ascii=False) + "\n"


def _gh_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_escape(text).replace(":", "%3A").replace(",", "%2C")


def render_github(results: Sequence[CheckResult]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    lines = []
    for result in results:
        if isinstance(result, Failed):
            level = "notice" if result.skipped else "error"
            lines.append(
                f"::{level} file={_gh_prop(result.path)},title=nb2prod::{_gh_escape(_error_prefix(result) + ': ' + result.message)}"
            )
            continue
        for f in result.findings:
            level = "error" if f.severity is Severity.ERROR else "warning"
            lines.append(
                f"::{level} file={_gh_prop(result.path)},title={f.code}::"
                f"{_gh_escape(f'cell {f.cell}, line {f.line}: {f.message}{_also(f)}')}"
            )
    return "\n".join(lines) + ("\n" if lines else "")


RENDERERS = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}
