"""The frozen records `pin` passes between its stages and returns."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, fields
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from nb2prod.core.findings import Finding

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@runtime_checkable
class _ToJson(Protocol):
    def to_json(self) -> dict[str, object]: ...


def _json_value(value: object) -> object:
    """A value as JSON: an enum as its value, a tuple as a list, a record as its own JSON."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, _ToJson):
        return value.to_json()
    return value


def _as_json(
    record: DataclassInstance,
    keys: Sequence[str] = (),
    *,
    omit: Collection[str] = (),
    **computed: object,
) -> dict[str, object]:
    """The record as JSON: the attributes `keys` names, in that order (by default every field not
    in `omit`); `computed` gives the value of a key that is renamed or no attribute.

    The keys and their order are a public contract (`nb2prod pin --format json`).
    """
    names = keys or [f.name for f in fields(record) if f.name not in omit]
    return {k: _json_value(computed[k] if k in computed else getattr(record, k)) for k in names}


class EvidenceKind(StrEnum):
    """Where a fact about a dependency came from."""

    OUTPUT = (
        "output"  # a version printed in a stored output (__version__, pip freeze, %watermark, ...)
    )
    INSTALL = "install"  # a %pip / !pip / %conda install command in a cell
    ENVIRONMENT = "environment"  # installed in the interpreter nb2prod analysed
    IMPORT = "import"  # an import statement (a name, never a version)
    TABLE = "table"  # nb2prod's curated table of import names (a name, never a version)
    RUNTIME = "runtime"  # imported during a fresh run of the notebook
    METADATA = "metadata"  # notebook metadata (language_info.version, for Python itself)


# The documented precedence for versions: what the notebook printed was loaded when its
# results were produced; what it installed was requested then; the environment is only
# where nb2prod looked today. Lower wins.
VERSION_PRECEDENCE: dict[EvidenceKind, int] = {
    EvidenceKind.OUTPUT: 0,
    EvidenceKind.INSTALL: 1,
    EvidenceKind.ENVIRONMENT: 2,
}


class Confidence(StrEnum):
    """How sure a pin's version is."""

    HIGH = "high"  # the version was recorded by the notebook itself
    MEDIUM = "medium"  # the version is the one installed where nb2prod analysed the notebook
    LOW = "low"  # the distribution is known but no exact version is (unpinned, or a range)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact: a name, perhaps a version or a constraint, and the cell it was seen in."""

    kind: EvidenceKind
    name: str  # as the evidence spells it: an import, a distribution or a listed name
    version: str | None = None  # one exact version (PEP 440, normalised)
    specifier: str | None = None  # a constraint that is not one version, e.g. ">=1.3,<2"
    cell: int | None = None
    cell_id: str | None = None
    line: int | None = None
    detail: str = ""  # what exactly: "np.__version__", "pip freeze", "%pip install x==1.2", a path
    order: tuple[int, int] = (-1, -1)  # (execution count, cell index): later runs are fresher

    def to_json(self) -> dict[str, object]:
        return _as_json(self, omit={"order"})


@dataclass(frozen=True, slots=True)
class ImportUse:
    """A module the notebook imports; `module` is dotted as written, `top` its first part."""

    module: str
    top: str
    name: str | None  # the member of a from-import (`from a.b import c` -> "c")
    cell: int | None  # None for modules only seen at run time
    cell_id: str | None
    line: int
    level: int = 0  # relative-import dots


@dataclass(frozen=True, slots=True)
class Pin:
    """One distribution the notebook needs, its version (if known) and every piece of evidence."""

    distribution: str
    version: str | None
    specifier: str | None  # set when the notebook only constrained the version
    confidence: Confidence
    imports: tuple[str, ...]  # top-level import names that map to this distribution
    evidence: tuple[Evidence, ...]  # strongest first
    chosen: Evidence | None  # the evidence that set `version` (or `specifier`)
    installed: str | None  # the version in the analysed environment, if any
    extras: tuple[str, ...] = ()

    @property
    def requirement(self) -> str:
        """The PEP 508 requirement: `name[extras]==version`, a range, or a bare name."""
        name = self.distribution + (f"[{','.join(self.extras)}]" if self.extras else "")
        if self.version is not None:
            return f"{name}=={self.version}"
        if self.specifier:
            return name + self.specifier
        return name

    def to_json(self) -> dict[str, object]:
        return _as_json(
            self,
            (
                "distribution",
                "version",
                "specifier",
                "requirement",
                "confidence",
                "source",
                "installed",
                "imports",
                "extras",
                "evidence",
            ),
            source=self.chosen.kind if self.chosen else None,
        )


@dataclass(frozen=True, slots=True)
class Excluded:
    """An import that needs no pin: standard library, `__future__`, or a module next to the notebook."""

    module: str
    reason: str  # "stdlib", "python2-stdlib", "future", "local", "relative"
    cell: int | None
    cell_id: str | None
    line: int
    detail: str = ""  # for local modules, the file found

    def to_json(self) -> dict[str, object]:
        return _as_json(self)


@dataclass(frozen=True, slots=True)
class Unresolved:
    """An import no distribution could be named for (NB201)."""

    module: str
    cell: int | None
    cell_id: str | None
    line: int
    importable: bool  # importable where analysed, yet no installed distribution provides it
    evidence: tuple[Evidence, ...] = ()  # versions the notebook printed for it, if any

    def to_json(self) -> dict[str, object]:
        return _as_json(self)


@dataclass(frozen=True, slots=True)
class PythonPin:
    """The Python version the notebook ran on, and the `requires-python` derived from it."""

    version: str | None  # e.g. "3.8.5"
    requires: str | None  # e.g. ">=3.8"
    chosen: Evidence | None
    evidence: tuple[Evidence, ...]
    environment: str | None  # version of the interpreter analysed

    def to_json(self) -> dict[str, object]:
        return _as_json(
            self,
            ("version", "requires_python", "source", "environment", "evidence"),
            requires_python=self.requires,
            source=self.chosen.kind if self.chosen else None,
        )


@dataclass(frozen=True, slots=True)
class EnvironmentSummary:
    """Which interpreter was queried and why (kernelspec, --python, or a fallback)."""

    python: str
    version: str
    source: str
    fallback: bool = (
        False  # the notebook's kernel was not found; nb2prod's own interpreter was used
    )

    def to_json(self) -> dict[str, object]:
        return _as_json(self)


@dataclass(frozen=True, slots=True)
class PinResult:
    """Everything `pin` knows about one notebook's dependencies; convert and the CLI both read it."""

    path: str
    pins: tuple[Pin, ...]
    python: PythonPin
    environment: EnvironmentSummary
    imports: tuple[ImportUse, ...]  # every import, in page order (what --check imports)
    excluded: tuple[Excluded, ...]
    unresolved: tuple[Unresolved, ...]
    findings: tuple[Finding, ...] = field(default=())

    @property
    def requirements(self) -> tuple[str, ...]:
        """PEP 508 requirements, sorted by name: what a generated pyproject.toml lists."""
        return tuple(p.requirement for p in self.pins)

    def to_json(self) -> dict[str, object]:
        return _as_json(
            self,
            ("notebook", "environment", "python", "pins", "excluded", "unresolved", "findings"),
            notebook=self.path,
        )
