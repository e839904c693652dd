"""Fuse the evidence into pins, with a documented precedence, and report NB201-NB204.

Names: the environment's own metadata, then the notebook's install commands, then the
curated table. Versions: printed by the notebook > installed by the notebook (`==`)
> installed in the environment analysed. A notebook that only constrained a version
(`pip install 'x<2'`) keeps that range when the environment's version falls outside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from nb2prod.analysis.suppressions import is_suppressed
from nb2prod.core.findings import Finding
from nb2prod.core.rules import finding
from nb2prod.notebook.model import Notebook
from nb2prod.pin.environment import Environment, canonical, environment_for
from nb2prod.pin.evidence import NotebookEvidence, collect
from nb2prod.pin.installs import InstallCommand
from nb2prod.pin.mapping import LocalModules, Resolution, resolve, table
from nb2prod.pin.model import (
    VERSION_PRECEDENCE,
    Confidence,
    EnvironmentSummary,
    Evidence,
    EvidenceKind,
    Excluded,
    ImportUse,
    Pin,
    PinResult,
    PythonPin,
    Unresolved,
)
from nb2prod.pin.versions import same_version, satisfies

_EXCLUDED = frozenset({"relative", "future", "stdlib", "python2-stdlib", "local"})


@dataclass
class _Builder:
    """Mutable only while one notebook's pins are assembled; frozen into a `Pin` at the end."""

    name: str
    evidence: list[Evidence] = field(default_factory=list)
    imports: dict[str, None] = field(default_factory=dict)
    extras: set[str] = field(default_factory=set)
    first_import: ImportUse | None = None
    importable: bool = False


def pin_notebook(
    notebook: Notebook,
    python: str | None = None,
    *,
    environment: Environment | None = None,
    imported_modules: Iterable[str] | None = None,
) -> PinResult:
    """Pin every distribution the notebook needs, from evidence, saying where each pin came from.

    `python` overrides the kernelspec's interpreter. `imported_modules` are the modules
    the notebook's own code imported during a fresh run (for the verifier, later): they
    confirm static imports and add the ones no import statement shows (`%run`, `exec`).
    Raises `InputError` when the interpreter cannot be run.
    """
    env = environment if environment is not None else environment_for(notebook.kernel_name, python)
    tbl = table()
    found = collect(notebook, conda_names=tbl.conda)
    folder = os.path.dirname(os.path.abspath(notebook.path))
    local = LocalModules(
        (folder, *found.search_dirs), dict(found.written_modules), found.project_dirs
    )

    uses = list(found.imports)
    static_tops = {u.top for u in uses if u.top}
    runtime = sorted(set(imported_modules or ()))
    uses.extend(
        ImportUse(m, m.split(".")[0], None, None, None, 0)
        for m in runtime
        if m.split(".")[0] not in static_tops
    )
    runtime_tops = {m.split(".")[0] for m in runtime}

    builders: dict[str, _Builder] = {}
    by_top: dict[str, str] = {}  # import top -> builder key
    excluded: dict[tuple[str, str], Excluded] = {}
    unresolved: dict[str, Unresolved] = {}
    installs_by_name = {canonical(r.name): r.name for c in found.installs for r in c.requested}

    def builder(name: str) -> _Builder:
        key = canonical(name)
        if key not in builders:
            builders[key] = _Builder(env.name_of(name) or name)
        return builders[key]

    for use in uses:
        resolution = resolve(use.module, use.level, env, local, tbl)
        kind = EvidenceKind.IMPORT if use.cell is not None else EvidenceKind.RUNTIME
        shown = "." * use.level + use.module
        if resolution.status in _EXCLUDED:
            excluded.setdefault(
                (use.top or shown, resolution.status),
                Excluded(
                    use.top or shown,
                    resolution.status,
                    use.cell,
                    use.cell_id,
                    use.line,
                    resolution.detail,
                ),
            )
            continue
        name = _distribution_for(use, resolution, installs_by_name)
        if name is None:
            if use.top not in unresolved:
                unresolved[use.top] = Unresolved(
                    use.top, use.cell, use.cell_id, use.line, resolution.installed
                )
            continue
        b = builder(name)
        b.imports.setdefault(use.top, None)
        b.importable = b.importable or resolution.installed
        by_top.setdefault(use.top, canonical(name))
        if b.first_import is None and use.cell is not None:
            b.first_import = use
        detail = f"import {shown}" + (f" ({resolution.detail})" if resolution.detail else "")
        b.evidence.append(
            Evidence(
                kind, use.module, cell=use.cell, cell_id=use.cell_id, line=use.line, detail=detail
            )
        )
        if resolution.source == "table":
            b.evidence.append(
                Evidence(
                    EvidenceKind.TABLE,
                    use.module,
                    detail=f"nb2prod's table: {use.module} -> {name}",
                )
            )
    for top in runtime_tops & static_tops:
        if top in by_top:
            builders[by_top[top]].evidence.append(
                Evidence(EvidenceKind.RUNTIME, top, detail="imported in the fresh run")
            )

    for command in found.installs:
        for req in command.requested:
            b = builder(req.name)
            b.extras.update(req.extras)
            b.evidence.append(
                Evidence(
                    EvidenceKind.INSTALL,
                    req.name,
                    req.version,
                    req.specifier,
                    command.cell,
                    command.cell_id,
                    command.line,
                    command.text,
                    command.order,
                )
            )

    for printed in found.versions:
        match = _match_printed(printed.name, builders, by_top)
        if match is not None:
            builders[match].evidence.append(printed)
        elif printed.name in unresolved:
            u = unresolved[printed.name]
            unresolved[printed.name] = Unresolved(
                u.module, u.cell, u.cell_id, u.line, u.importable, (*u.evidence, printed)
            )

    pins = []
    for key in sorted(builders):
        b = builders[key]
        installed = env.version_of(b.name)
        if installed is not None:
            b.evidence.append(
                Evidence(
                    EvidenceKind.ENVIRONMENT,
                    env.name_of(b.name) or b.name,
                    installed,
                    detail=env.python,
                )
            )
        pins.append(_pin(b, installed))

    findings = _findings(notebook, pins, builders, found, env, list(unresolved.values()))
    return PinResult(
        path=notebook.path,
        pins=tuple(pins),
        python=_python_pin(found, env),
        environment=EnvironmentSummary(env.python, env.version, env.source, env.fallback),
        imports=tuple(uses),
        excluded=tuple(excluded.values()),
        unresolved=tuple(unresolved.values()),
        findings=tuple(findings),
    )


def _distribution_for(
    use: ImportUse, resolution: Resolution, installs: dict[str, str]
) -> str | None:
    if resolution.status == "distribution":
        return resolution.distributions[0]
    # not installed, not in the table: the notebook's own `pip install <same name>` names it
    return installs.get(canonical(use.top))


def _match_printed(name: str, builders: dict[str, _Builder], by_top: dict[str, str]) -> str | None:
    """A printed name is a distribution (`pip freeze`) or an import name (`%watermark -p sklearn`)."""
    key = canonical(name)
    if key in builders:
        return key
    if name in by_top:
        return by_top[name]
    lowered = {top.lower(): k for top, k in by_top.items()}
    return lowered.get(name.lower())


def _newest(evidence: Iterable[Evidence]) -> Evidence:
    return max(evidence, key=lambda e: e.order)


def _pin(b: _Builder, installed: str | None) -> Pin:
    versioned = [e for e in b.evidence if e.version and e.kind in VERSION_PRECEDENCE]
    constraints = [e for e in b.evidence if e.kind is EvidenceKind.INSTALL and e.specifier]
    chosen: Evidence | None = None
    if versioned:
        best = min(VERSION_PRECEDENCE[e.kind] for e in versioned)
        chosen = _newest(e for e in versioned if VERSION_PRECEDENCE[e.kind] == best)
    if chosen is not None and chosen.kind is EvidenceKind.ENVIRONMENT:
        unmet = [e for e in constraints if not satisfies(chosen.version, e.specifier)]
        if unmet:  # the notebook asked for another range; its request outranks today's install
            chosen = _newest(unmet)
    elif chosen is None and constraints:
        chosen = _newest(constraints)
    version = chosen.version if chosen is not None else None
    specifier = chosen.specifier if chosen is not None and version is None else None
    if chosen is None or version is None:
        confidence = Confidence.LOW
    elif chosen.kind is EvidenceKind.ENVIRONMENT:
        confidence = Confidence.MEDIUM
    else:
        confidence = Confidence.HIGH
    rank = {
        EvidenceKind.OUTPUT: 0,
        EvidenceKind.INSTALL: 1,
        EvidenceKind.ENVIRONMENT: 2,
        EvidenceKind.IMPORT: 3,
        EvidenceKind.RUNTIME: 4,
        EvidenceKind.TABLE: 5,
        EvidenceKind.METADATA: 6,
    }
    ordered = sorted(
        b.evidence, key=lambda e: (e is not chosen, rank[e.kind], -e.order[0], -e.order[1])
    )
    return Pin(
        b.name,
        version,
        specifier,
        confidence,
        tuple(b.imports),
        tuple(ordered),
        chosen,
        installed,
        tuple(sorted(b.extras)),
    )


def _findings(
    notebook: Notebook,
    pins: list[Pin],
    builders: dict[str, _Builder],
    found: NotebookEvidence,
    env: Environment,
    unresolved: list[Unresolved],
) -> list[Finding]:
    out: list[Finding] = []
    python = env.python
    for pin in pins:
        chosen = pin.chosen
        if pin.installed is None or chosen is None or chosen.cell is None:
            continue
        if (
            chosen.version is not None
            and chosen.kind is not EvidenceKind.ENVIRONMENT
            and not same_version(chosen.version, pin.installed)
        ):
            how = "printed" if chosen.kind is EvidenceKind.OUTPUT else "installed"
            recorded = f"{how} {pin.distribution} {chosen.version}"
            pinned = chosen.version
        elif chosen.specifier and not satisfies(pin.installed, chosen.specifier):
            recorded = f"asked for {pin.distribution}{chosen.specifier}"
            pinned = pin.requirement
        else:
            continue
        out.append(
            finding(
                "NB202",
                chosen.cell,
                chosen.cell_id or "",
                f"the notebook {recorded} ({chosen.detail}), "
                f"but {python} has {pin.installed}; pinned {pinned}",
                line=chosen.line or 1,
                names=(pin.distribution,),
            )
        )
    for command in found.installs:
        if command.requested:
            out.append(_install_finding(command))
    for key, b in builders.items():
        use = b.first_import
        if use is None or use.cell is None or b.importable:
            continue
        pin = next(p for p in pins if canonical(p.distribution) == key)
        if pin.installed is not None:
            continue
        source = (
            "nb2prod's table"
            if any(e.kind is EvidenceKind.TABLE for e in pin.evidence)
            else "the notebook's install command"
        )
        out.append(
            finding(
                "NB204",
                use.cell,
                use.cell_id or "",
                f"import '{use.top}' is not installed in {python} (distribution {pin.distribution}, "
                f"named by {source}); its version cannot be read from the environment",
                line=use.line,
                names=(use.top,),
            )
        )
    for u in unresolved:
        if u.cell is None:
            continue
        why = (
            f"'{u.module}' is importable in {python} but no installed distribution provides it"
            if u.importable
            else f"'{u.module}' is not installed in {python} and not in nb2prod's table of import names"
        )
        out.append(
            finding(
                "NB201",
                u.cell,
                u.cell_id or "",
                f"import maps to no known distribution: {why}",
                line=u.line,
                names=(u.module,),
            )
        )
    return [
        f for f in sorted(out, key=lambda f: f.sort_key) if not is_suppressed(f, notebook.cells)
    ]


def _install_finding(command: InstallCommand) -> Finding:
    names = tuple(r.name for r in command.requested)
    return finding(
        "NB203",
        command.cell,
        command.cell_id or "",
        f"{', '.join(names)} installed from inside the notebook ({command.text}); "
        "declare {} in the project's dependencies instead".format(
            "it" if len(names) == 1 else "them"
        ),
        line=command.line,
        names=names,
    )


def _python_pin(found: NotebookEvidence, env: Environment) -> PythonPin:
    """`metadata.language_info.version` first (the kernel that saved the results), then a printed
    or installed Python version, then the interpreter analysed."""
    recorded = list(found.python)
    metadata = [e for e in recorded if e.kind is EvidenceKind.METADATA]
    chosen = metadata[0] if metadata else (_newest(recorded) if recorded else None)
    environment = Evidence(EvidenceKind.ENVIRONMENT, "python", env.version, detail=env.python)
    if chosen is None:
        chosen = environment
    version = chosen.version
    requires = None
    if version:
        parts = version.split(".")
        requires = f">={parts[0]}.{parts[1]}" if len(parts) > 1 else f">={parts[0]}"
    return PythonPin(version, requires, chosen, (*recorded, environment), env.version)
