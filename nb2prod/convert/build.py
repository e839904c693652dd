"""`convert`: notebook -> plan -> package in memory -> static check -> atomic write."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from nb2prod.convert.plan import Plan, make_plan
from nb2prod.convert.render import Package, render
from nb2prod.convert.static_check import check_package
from nb2prod.convert.write import write_package
from nb2prod.core.errors import InputError
from nb2prod.notebook.load import load
from nb2prod.pin import plan_requirements


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
) -> tuple[Plan, Package]:
    """Plan and render in memory, and check the result; nothing is written.

    With `pin`, dependencies are pinned from evidence (`nb2prod pin`); without, or when the
    notebook's environment cannot be queried, they are unpinned distribution names.
    """
    notebook = load(notebook_path)
    plan = make_plan(notebook, package=package, role_overrides=role_overrides)
    dependencies = None
    if pin:
        try:
            dependencies = list(plan_requirements(plan, python, notebook=notebook))
        except InputError as exc:
            plan = replace(
                plan, warnings=(*plan.warnings, f"dependencies left unpinned: {exc.message}")
            )
    rendered = render(plan, dependencies)
    check_package(plan, rendered, lambda p: render(p, dependencies))
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
        notebook_path, package=package, role_overrides=role_overrides, pin=pin, python=python
    )
    target = Path(out_dir) if out_dir else Path(notebook_path).resolve().parent / plan.package
    written = write_package(rendered, target, notebook=Path(notebook_path), force=force)
    return Converted(notebook_path, written, plan, rendered)
