"""`nb2prod pin NOTEBOOK`: pinned requirements from evidence, each pin saying where it came from.

stdout carries only the requested document (requirements, pyproject fragment or JSON),
so it can be redirected to a file; findings and notes go to stderr in the linter shape.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from nb2prod.cli import ExitCode

if TYPE_CHECKING:
    from nb2prod.pin import PinResult


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "pin",
        help="pin the library versions a notebook needs, from evidence (NB201-NB204)",
        description="Pin the distributions a notebook imports or installs, from evidence: versions it "
        "printed or installed, then the environment of its kernel. Every pin names its evidence "
        "(docs/pin.md). Findings NB201-NB204 go to stderr.",
    )
    p.add_argument(
        "notebook", metavar="NOTEBOOK", help="the notebook (.ipynb or a jupytext text notebook)"
    )
    p.add_argument(
        "--python",
        metavar="PATH",
        help="interpreter (or venv folder) to query instead of the notebook's kernelspec",
    )
    p.add_argument(
        "--format",
        choices=("requirements", "pyproject", "json"),
        default="requirements",
        help="requirements.txt lines (default), a [project] fragment, or JSON with all evidence",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="build a clean venv from the pins and import every module the notebook imports (slow)",
    )
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")


def run(args: argparse.Namespace) -> int:
    from nb2prod.core.errors import InputError
    from nb2prod.pin import pin_file
    from nb2prod.pin.render import RENDERERS

    try:
        result = pin_file(args.notebook, args.python)
    except InputError as exc:
        print(f"nb2prod: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except Exception as exc:
        print(
            f"nb2prod: internal error while pinning {args.notebook}: {type(exc).__name__}: {exc} "
            "(please report this)",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL
    sys.stdout.write(RENDERERS[args.format](result))
    sys.stdout.flush()
    if result.environment.fallback:
        print(
            f"nb2prod: note: {result.environment.source} ({result.environment.python})",
            file=sys.stderr,
        )
    for f in result.findings:
        print(f"{result.path}:cell {f.cell}:line {f.line}: {f.code} {f.message}", file=sys.stderr)
    failed = False
    if args.check:
        failed = _check(result)
    if failed:
        return ExitCode.FINDINGS
    if result.findings and not args.exit_zero:
        return ExitCode.FINDINGS
    return ExitCode.OK


def _check(result: PinResult) -> bool:
    from nb2prod.pin.venv_check import check_in_clean_venv

    print(
        f"nb2prod: --check: building a clean venv with {result.environment.python} "
        f"and {len(result.pins)} pin(s)...",
        file=sys.stderr,
    )
    check = check_in_clean_venv(result)
    path = result.path
    if check.venv_error:
        print(f"{path}: --check: {check.venv_error}", file=sys.stderr)
    for failure in check.install_failures:
        print(
            f"{path}: --check: pip could not install {failure.requirement}: {failure.message}",
            file=sys.stderr,
        )
    for broken in check.import_failures:
        where = f"{path}:cell {broken.cell}:line {broken.line}" if broken.cell is not None else path
        print(
            f"{where}: --check: import {broken.module} failed in the clean venv: {broken.error}",
            file=sys.stderr,
        )
    verdict = "passed" if check.ok else "failed"
    print(
        f"nb2prod: --check {verdict}: {check.checked} import(s) tried in {check.seconds:.0f} s",
        file=sys.stderr,
    )
    return not check.ok
