"""Turn a notebook into an installable package: functions with inferred parameters
and returns, split by role, with a report of where every statement went and why.
"""

from __future__ import annotations

import argparse
import sys

from nb2prod import api
from nb2prod.cli import ExitCode
from nb2prod.cli.common import add_python_option, failure
from nb2prod.cli.verify import ProgressBar, add_run_arguments, outcome

# `nb2prod convert NOTEBOOK`; the module's docstring is the command's description in --help.
HELP = "turn a notebook into a package (config, data, features, model, business, pipeline)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", metavar="NOTEBOOK")
    p.add_argument("--out", metavar="DIR", help="output folder (default: <notebook folder>/<name>)")
    p.add_argument(
        "--name", metavar="PKG", help="package name (default: from the notebook's file name)"
    )
    p.add_argument(
        "--force", action="store_true", help="replace an output folder nb2prod did not create"
    )
    add_python_option(
        p, "interpreter whose packages pin the dependencies (default: the notebook's kernel)"
    )
    p.add_argument("--no-pin", action="store_true", help="write unpinned dependency names")
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="skip running the notebook and the package to compare them (static checks only)",
    )
    add_run_arguments(p)


def run(args: argparse.Namespace) -> int:
    with api.session():  # no kernel, package run nor pinning query outlives the command
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    options = api.ConvertOptions(
        name=args.name,
        force=args.force,
        python=args.python,
        pin=not args.no_pin,
        kernel=args.kernel,
        timeout=args.timeout,
        second_run=not args.no_second_run,
        confirm=not args.no_confirm,
    )
    if args.no_verify:
        converted = api.convert(args.notebook, args.out, options)
        if isinstance(converted, api.Failed):
            return _refused(converted)
        _written(args.notebook, converted)
        print(f"  report: {converted.out_dir / api.REPORT} (not verified: --no-verify)")
        return ExitCode.OK
    with ProgressBar(True, args.notebook) as bar:

        def progress(event: api.Progress) -> None:
            if event.converted is not None:  # said before the notebook and the package run
                _written(args.notebook, event.converted)
            bar(event)

        result = api.convert_and_verify(args.notebook, args.out, options.with_progress(progress))
    if isinstance(result, api.Failed):
        return _refused(result)
    code, text = outcome(result.verified)
    print(text)
    return code


def _refused(failed: api.Failed) -> ExitCode:
    code, text = failure(failed)
    print(text, file=sys.stderr)
    return code


def _written(notebook: str, converted: api.Converted) -> None:
    plan = converted.plan
    modules = ", ".join(plan.modules) or "no modules"
    print(f"{notebook}: wrote package '{plan.package}' to {converted.out_dir}")
    print(
        f"  {len(plan.functions)} functions in {modules}; {len(plan.config)} config fields; "
        f"{len(plan.dropped)} statements left out (exploration)"
    )
    for warning in plan.warnings:
        print(f"  warning: {warning}")
