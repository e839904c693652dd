"""The frozen records `pin` passes between its stages and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from nb2prod.core.findings import Finding


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
        return {
            "kind": self.kind.value,
            "name": self.name,
            "version": self.version,
            "specifier": self.specifier,
            "cell": self.cell,
            "cell_id": self.cell_id,
            "line": self.line,
            "detail": self.detail,
        }


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
        return {
            "distribution": self.distribution,
            "version": self.version,
            "specifier": self.specifier,
            "requirement": self.requirement,
            "confidence": self.confidence.value,
            "source": self.chosen.kind.value if self.chosen else None,
            "installed": self.installed,
            "imports": list(self.imports),
            "extras": list(self.extras),
            "evidence": [e.to_json() for e in self.evidence],
        }


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
        return {
            "module": self.module,
            "reason": self.reason,
            "cell": self.cell,
            "cell_id": self.cell_id,
            "line": self.line,
            "detail": self.detail,
        }


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
        return {
            "module": self.module,
            "cell": self.cell,
            "cell_id": self.cell_id,
            "line": self.line,
            "importable": self.importable,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class PythonPin:
    """The Python version the notebook ran on, and the `requires-python` derived from it."""

    version: str | None  # e.g. "3.8.5"
    requires: str | None  # e.g. ">=3.8"
    chosen: Evidence | None
    evidence: tuple[Evidence, ...]
    environment: str | None  # version of the interpreter analysed

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "requires_python": self.requires,
            "source": self.chosen.kind.value if self.chosen else None,
            "environment": self.environment,
            "evidence": [e.to_json() for e in self.evidence],
        }


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
        return {
            "python": self.python,
            "version": self.version,
            "source": self.source,
            "fallback": self.fallback,
        }


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
        return {
            "notebook": self.path,
            "environment": self.environment.to_json(),
            "python": self.python.to_json(),
            "pins": [p.to_json() for p in self.pins],
            "excluded": [e.to_json() for e in self.excluded],
            "unresolved": [u.to_json() for u in self.unresolved],
            "findings": [f.to_json() for f in self.findings],
        }
