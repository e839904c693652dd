"""Pin the distributions a notebook imports or installs, from evidence: versions it
printed or installed, then the environment of its kernel. Every pin names its evidence
(docs/pin.md). Findings NB201-NB204 go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from nb2prod import api
from nb2prod.cli import ExitCode
from nb2prod.cli.common import add_python_option, failure

if TYPE_CHECKING:
    from nb2prod.api import PinResult


# `nb2prod pin NOTEBOOK`: stdout carries only the requested document (requirements, pyproject
# fragment or JSON), so it can be redirected to a file; findings and notes go to stderr in the
# linter shape. The module's docstring is the command's description in --help.
HELP = "pin the library versions a notebook needs, from evidence (NB201-NB204)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "notebook", metavar="NOTEBOOK", help="the notebook (.ipynb or a jupytext text notebook)"
    )
    add_python_option(
        p, "interpreter (or venv folder) to query instead of the notebook's kernelspec"
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
    result = api.pin(args.notebook, api.PinOptions(args.python))
    if isinstance(result, api.Failed):
        code, text = failure(result)
        print(text, file=sys.stderr)
        return code
    sys.stdout.write(api.format_pins(result, args.format))
    sys.stdout.flush()
    if result.environment.fallback:
        print(
            f"nb2prod: note: {result.environment.source} ({result.environment.python})",
            file=sys.stderr,
        )
    for f in result.findings:
        print(f"{result.path}:cell {f.cell}:line {f.line}: {f.code} {f.message}", file=sys.stderr)
    if args.check and not _check(result):
        return ExitCode.FINDINGS
    if result.findings and not args.exit_zero:
        return ExitCode.FINDINGS
    return ExitCode.OK


def _check(result: PinResult) -> bool:
    """Run `--check`, say what it found; True when every pin installed and every import worked."""
    print(
        f"nb2prod: --check: building a clean venv with {result.environment.python} "
        f"and {len(result.pins)} pin(s)...",
        file=sys.stderr,
    )
    check = api.check_pins(result)
    if isinstance(check, api.Failed):
        print(failure(check)[1], file=sys.stderr)
        return False
    path = result.path
    if check.venv_error:
        print(f"{path}: --check: {check.venv_error}", file=sys.stderr)
    for failed in check.install_failures:
        print(
            f"{path}: --check: pip could not install {failed.requirement}: {failed.message}",
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
    return check.ok
