"""Render a `PinResult` as requirements.txt, a `[project]` fragment, or JSON: text, never printed here."""

from __future__ import annotations

import json
import os

from nb2prod.pin.model import EvidenceKind, Pin, PinResult
from nb2prod.pin.versions import same_version

JSON_VERSION = 1
_COMMENT_COLUMN = 32  # requirement comments line up here unless the requirement is longer


def _short(text: str, limit: int = 60) -> str:
    """Install commands can be long; the comment only needs to recognise the line."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def describe(pin: Pin, python: str) -> str:
    """One line naming the evidence behind a pin, strongest first."""
    chosen = pin.chosen
    if chosen is None:
        text = f"NOT PINNED: the notebook records no version and {python} does not have it"
    elif chosen.kind is EvidenceKind.OUTPUT:
        text = f"printed in cell {chosen.cell} ({_short(chosen.detail)})"
    elif chosen.kind is EvidenceKind.INSTALL and pin.version is not None:
        text = f"installed in cell {chosen.cell} ({_short(chosen.detail)})"
    elif chosen.kind is EvidenceKind.INSTALL:
        text = f"NOT PINNED: only a range, from cell {chosen.cell} ({_short(chosen.detail)})"
    else:
        text = f"installed in {python}"
    notes = []
    if (
        pin.installed is not None
        and chosen is not None
        and chosen.kind is not EvidenceKind.ENVIRONMENT
    ):
        if pin.version is not None and same_version(pin.version, pin.installed):
            notes.append(f"same in {python}")
        else:
            notes.append(f"{python} has {pin.installed} (NB202)")
    elif pin.installed is None:
        if any(e.kind is EvidenceKind.TABLE for e in pin.evidence):
            notes.append("name from nb2prod's table")
        if any(e.kind in (EvidenceKind.IMPORT, EvidenceKind.RUNTIME) for e in pin.evidence):
            notes.append("not installed where analysed (NB204)")
    if not any(e.kind in (EvidenceKind.IMPORT, EvidenceKind.RUNTIME) for e in pin.evidence):
        notes.append("installed by the notebook, never imported")
    return "; ".join([text, *notes])


def _python_line(result: PinResult) -> str:
    py = result.python
    env = result.environment
    where = f"analysed with {env.python} (Python {env.version})"
    if env.fallback:
        where += f"; {env.source}"
    if py.chosen is None or py.chosen.kind is EvidenceKind.ENVIRONMENT:
        return f"# Python: none recorded in the notebook; {where}"
    return f"# Python {py.version} ({py.chosen.detail}); {where}"


def _trailer(result: PinResult) -> list[str]:
    lines = []
    for u in result.unresolved:
        where = f"cell {u.cell}" if u.cell is not None else "the fresh run"
        lines.append(
            f"# {u.module}: no known distribution for this import ({where}, NB201); add it by hand"
        )
    local = [e for e in result.excluded if e.reason == "local"]
    if local:
        names = ", ".join(
            f"{e.module} ({e.detail if e.detail.startswith('written') else os.path.basename(e.detail)})"
            for e in local
        )
        lines.append(f"# Not pinned, modules beside the notebook: {names}")
    return lines


def requirements_txt(result: PinResult) -> str:
    """`name==version  # evidence` per line; unknown imports and local modules as comments."""
    python = result.environment.python
    lines = [
        f"# Requirements of {result.path}, pinned by nb2prod from evidence (docs/pin.md)",
        _python_line(result),
    ]
    for pin in result.pins:
        lines.append(f"{pin.requirement:<{_COMMENT_COLUMN}}  # {describe(pin, python)}")
    lines.extend(_trailer(result))
    return "\n".join(lines) + "\n"


def pyproject_fragment(result: PinResult) -> str:
    """The `[project]` keys convert writes: requires-python and the pinned dependencies."""
    python = result.environment.python
    lines = [_python_line(result), "[project]"]
    if result.python.requires:
        lines.append(f"requires-python = {json.dumps(result.python.requires)}")
    lines.append("dependencies = [")
    for pin in result.pins:
        lines.append(
            f"    {json.dumps(pin.requirement) + ',':<{_COMMENT_COLUMN}}  # {describe(pin, python)}"
        )
    lines.append("]")
    lines.extend(_trailer(result))
    return "\n".join(lines) + "\n"


def to_json_document(result: PinResult) -> dict[str, object]:
    return {"version": JSON_VERSION, **result.to_json()}


def json_text(result: PinResult) -> str:
    return json.dumps(to_json_document(result), indent=2, ensure_ascii=False) + "\n"


RENDERERS = {
    "requirements": requirements_txt,
    "pyproject": pyproject_fragment,
    "json": json_text,
}
