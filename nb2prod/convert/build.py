"""`convert`: notebook -> plan -> package in memory -> static check -> atomic write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from nb2prod.convert.dependencies import (
    LockFile,
    Requirement,
    dependencies_for,
    lock,
    unpinned,
)
from nb2prod.convert.fit import boundary_of_plan
from nb2prod.convert.plan import Plan, make_plan
from nb2prod.convert.production import add_production
from nb2prod.convert.render import Package, render
from nb2prod.convert.static_check import check_package
from nb2prod.convert.write import write_package
from nb2prod.core.errors import InputError
from nb2prod.notebook.load import load


@dataclass(frozen=True, slots=True)
class Converted:
    notebook: str
    out_dir: Path
    plan: Plan
    package: Package


def build(
    notebook_path: str,
    *,
    package: str | None = None,
    role_overrides: Mapping[str, str] | None = None,
    pin: bool = True,
    python: str | None = None,
    out_dir: str | Path | None = None,
) -> tuple[Plan, Package]:
    """Plan and render in memory, and check the result; nothing is written.

    With `pin`, dependencies are pinned from evidence (`nb2prod pin`); without, or when the
    notebook's environment cannot be queried, they are unpinned distribution names. `out_dir`:
    where the package is to be written (default: beside the notebook, as `convert` does).
    """
    notebook = load(notebook_path)
    plan = make_plan(notebook, package=package, role_overrides=role_overrides)
    target = Path(out_dir) if out_dir is not None else None
    boundary = boundary_of_plan(plan)

    def rendering(
        made: Plan,
        dependencies: Sequence[str | Requirement] | None = None,
        locked: LockFile | None = None,
    ) -> Package:
        # the role modules and pipeline, then train, predict and the artifact from the fit
        # boundary (issue #14); the boundary reads the statements, which re-planning keeps
        package = render(made, dependencies, out_dir=target, lock=locked)
        return add_production(made, package, boundary)

    rendered = rendering(plan)  # dependencies: what the role modules import, unpinned
    dependencies: Sequence[str | Requirement] | None = None
    locked = None
    if pin:  # pinned from the code's imports, rendered first, and the notebook's evidence
        try:
            found = dependencies_for(
                rendered.files,
                plan.package,
                notebook,
                python,
                path_dependencies=plan.local.dependency_names,
            )
        except InputError as exc:
            plan = replace(
                plan, warnings=(*plan.warnings, f"dependencies left unpinned: {exc.message}")
            )
        else:
            dependencies, locked = list(found.direct), lock(found)
            if not locked.hashed:
                plan = replace(plan, warnings=(*plan.warnings, f"{locked.name}: {locked.note}"))
    if dependencies is None:  # unpinned, from every module: artifact.py and contracts.py too
        dependencies = unpinned(rendered.files, plan.package, plan.local.dependency_names)
    rendered = rendering(plan, dependencies, locked)
    check_package(plan, rendered, lambda p: rendering(p, dependencies, locked))
    return plan, rendered


def convert(
    notebook_path: str,
    out_dir: str | None = None,
    *,
    package: str | None = None,
    force: bool = False,
    role_overrides: Mapping[str, str] | None = None,
    pin: bool = True,
    python: str | None = None,
) -> Converted:
    plan, rendered = build(
        notebook_path,
        package=package,
        role_overrides=role_overrides,
        pin=pin,
        python=python,
        out_dir=out_dir,
    )
    target = Path(out_dir) if out_dir else Path(notebook_path).resolve().parent / plan.package
    written = write_package(rendered, target, notebook=Path(notebook_path), force=force)
    return Converted(notebook_path, written, plan, rendered)
