"""Names in the generated package: of its functions, and of its `Config` fields."""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping, Sequence

from nb2prod.analysis.statements import Statement
from nb2prod.analysis.symbols import is_known_name
from nb2prod.core.vocabulary import Role

_VERBS = {
    Role.DATA: "load",
    Role.FEATURES: "build",
    Role.MODEL: "train",
    Role.BUSINESS: "apply",
}
_LEADING_VERBS = frozenset(
    {
        "load",
        "read",
        "build",
        "compute",
        "train",
        "fit",
        "evaluate",
        "predict",
        "score",
        "decide",
        "apply",
        "prepare",
        "clean",
        "make",
        "create",
        "split",
        "transform",
        "engineer",
        "get",
        "run",
        "calculate",
        "estimate",
        "select",
        "tune",
        "validate",
        "test",
        "generate",
        "preprocess",
        "encode",
    }
)


def _slug(text: str) -> str:
    words = re.findall(r"[a-zA-Z][a-zA-Z0-9]*", text.lower())
    return "_".join(words[:5])


def config_field_name(name: str, seen: set[str]) -> str:
    """The `Config` attribute (and CLI option) for the notebook's parameter `name`, unique in `seen`."""
    base = re.sub(r"_+", "_", name.lower()).strip("_") or "value"
    if keyword.iskeyword(base) or base in ("base_dir", "path", "from_args"):
        base += "_"
    candidate, n = base, 2
    while candidate in seen:
        candidate, n = f"{base}_{n}", n + 1
    seen.add(candidate)
    return candidate


def function_name(
    group: Sequence[Statement],
    role: Role,
    heading_of: Mapping[int, str],
    outputs: Sequence[str],
    taken: set[str],
) -> str:
    """A name for the function made of `group`: its heading, else its main output, else its role."""
    heading = _slug(heading_of.get(group[0].cell, ""))
    verb = _VERBS[role]
    if role is Role.MODEL and not any(
        c.name.endswith(".fit") or c.name == "fit" or c.name.endswith(".fit_transform")
        for st in group
        for c in st.symbols.calls
    ):
        verb = "evaluate"
    if heading:
        base = heading if heading.split("_")[0] in _LEADING_VERBS else f"{verb}_{heading}"
    elif outputs:
        main = re.sub(r"[^0-9a-zA-Z_]", "", outputs[-1]).strip("_").lower() or role.value
        base = f"{verb}_{main}"
    else:
        base = f"{verb}_{role.value}"
    base = re.sub(r"_+", "_", base)[:60].strip("_")
    if not base.isidentifier() or keyword.iskeyword(base):
        base = f"{verb}_{role.value}"
    candidate, n = base, 2
    while candidate in taken or is_known_name(candidate):
        candidate, n = f"{base}_{n}", n + 1
    return candidate
