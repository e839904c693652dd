"""Version strings as PEP 440 reads them: normalised, compared, matched against a constraint."""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


def normalized(text: str) -> str | None:
    """A PEP 440 version, normalised (`2.0.0-b1` -> `2.0.0b1`), or None for anything else."""
    text = text.strip().strip("'\"").rstrip(".-,;")
    try:
        return str(Version(text))
    except InvalidVersion:
        return None


def same_version(a: str, b: str) -> bool:
    """Whether two versions are equal as PEP 440 versions (`1.0` and `1.0.0` are)."""
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def satisfies(version: str | None, specifier: str | None) -> bool:
    """Whether `version` meets `specifier`; True when either is missing or unreadable."""
    if not version or not specifier:
        return True
    try:
        return SpecifierSet(specifier).contains(version, prereleases=True)
    except (InvalidSpecifier, ValueError):
        return True  # a constraint nb2prod cannot read is not a disagreement it can report
