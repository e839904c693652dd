"""`nb2prod convert NOTEBOOK`: generate an installable package split by role."""

from __future__ import annotations

import argparse
import sys

from nb2prod.cli import ExitCode


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "convert",
        help="turn a notebook into a package (config, data, features, model, business, pipeline)",
        description="Turn a notebook into an installable package: functions with inferred parameters "
        "and returns, split by role, with a report of where every statement went and why.",
    )
    p.add_argument("notebook", metavar="NOTEBOOK")
    p.add_argument("--out", metavar="DIR", help="output folder (default: <notebook folder>/<name>)")
    p.add_argument(
        "--name", metavar="PKG", help="package name (default: from the notebook's file name)"
    )
    p.add_argument(
        "--force", action="store_true", help="replace an output folder nb2prod did not create"
    )
    p.add_argument(
        "--python",
        metavar="PATH",
        help="interpreter whose packages pin the dependencies (default: the notebook's kernel)",
    )
    p.add_argument("--no-pin", action="store_true", help="write unpinned dependency names")
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="skip running the notebook and the package to compare them (static checks only)",
    )
    from nb2prod.cli.verify import add_arguments

    add_arguments(p)


def run(args: argparse.Namespace) -> int:
    from nb2prod.verify.execute import contained_session

    with contained_session():  # no kernel, package run nor pinning query outlives the command
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from nb2prod.convert.build import convert
    from nb2prod.core.config import config_for
    from nb2prod.core.errors import InputError, InternalError

    try:
        roles = config_for(args.notebook).roles
        result = convert(
            args.notebook,
            args.out,
            package=args.name,
            force=args.force,
            role_overrides=roles,
            pin=not args.no_pin,
            python=args.python,
        )
    except InputError as exc:
        print(f"nb2prod: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except InternalError as exc:
        print(f"nb2prod: {exc}", file=sys.stderr)
        return ExitCode.INTERNAL
    plan = result.plan
    modules = ", ".join(plan.modules) or "no modules"
    print(f"{args.notebook}: wrote package '{plan.package}' to {result.out_dir}")
    print(
        f"  {len(plan.functions)} functions in {modules}; {len(plan.config)} config fields; "
        f"{len(plan.dropped)} statements left out (exploration)"
    )
    for warning in plan.warnings:
        print(f"  warning: {warning}")
    if args.no_verify:
        print(f"  report: {result.out_dir / 'nb2prod-report.md'} (not verified: --no-verify)")
        return ExitCode.OK
    from nb2prod.cli.verify import verify_one

    code, text = verify_one(
        args.notebook, str(result.out_dir), args.kernel, args.timeout, not args.no_second_run, True
    )
    print(text)
    return code
