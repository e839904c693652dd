"""Render check results as text, JSON (a versioned contract), SARIF 2.1.0 or GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from nb2prod import __version__
from nb2prod.core.errors import location
from nb2prod.core.findings import Severity
from nb2prod.lint.check import CheckResult, Failed
from nb2prod.lint.rules import RULES

JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _error_prefix(result: Failed) -> str:
    return location(result.path, result.cell)  # no line: the check outputs never showed one


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
            lines.append(f"{result.path}:cell {f.cell}:line {f.line}: {f.code} {f.message}")
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
            sarif_results.append(
                {
                    "ruleId": f.code,
                    "ruleIndex": rule_ids.index(f.code),
                    "level": "error" if f.severity is Severity.ERROR else "warning",
                    "message": {"text": f"cell {f.cell}, line {f.line}: {f.message}"},
                    "locations": [
                        {
                            "physicalLocation": {"artifactLocation": {"uri": _uri(result.path)}},
                            "logicalLocations": [
                                {
                                    "name": f"cell {f.cell}",
                                    "fullyQualifiedName": f"{_uri(result.path)}#cell={f.cell}:line={f.line}",
                                    "kind": "module",
                                }
                            ],
                        }
                    ],
                    "partialFingerprints": {
                        "nb2prod/v1": f"{f.code}:{f.cell_id}:{','.join(f.names)}"
                    },
                    "properties": {
                        "cell": f.cell,
                        "cellId": f.cell_id,
                        "line": f.line,
                        "column": f.column,
                        "names": list(f.names),
                    },
                }
            )
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
                f"{_gh_escape(f'cell {f.cell}, line {f.line}: {f.message}')}"
            )
    return "\n".join(lines) + ("\n" if lines else "")


RENDERERS = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}
