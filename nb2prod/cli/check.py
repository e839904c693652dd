"""Report hidden state in notebooks: out-of-order runs, stale outputs,
undefined names, unseeded randomness and more (rules NB101-NB112).
"""

from __future__ import annotations

import argparse
import sys

from nb2prod import api
from nb2prod.cli import ExitCode
from nb2prod.core.config import parse_codes
from nb2prod.core.errors import ConfigError, location

# `nb2prod check PATH...`; the module's docstring is the command's description in --help.
HELP = "report hidden state (NB101-NB112) in notebooks"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="notebook files or folders (searched recursively)"
    )
    p.add_argument(
        "--select",
        metavar="CODES",
        help="only these rule codes or prefixes, comma-separated (e.g. NB101,NB11)",
    )
    p.add_argument(
        "--ignore", metavar="CODES", help="skip these rule codes or prefixes, comma-separated"
    )
    p.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: one per core)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        select = parse_codes(args.select, "--select", "--select") if args.select else None
        ignore = parse_codes(args.ignore, "--ignore", "--ignore") if args.ignore else ()
    except ConfigError as exc:
        print(f"nb2prod: error: {exc.message}", file=sys.stderr)
        return ExitCode.USAGE
    checked = api.check(args.paths, api.CheckRequest(select, ignore), jobs=args.jobs)
    if not checked.results:
        print("nb2prod: error: no notebooks found in " + ", ".join(args.paths), file=sys.stderr)
        return ExitCode.USAGE
    for warning in checked.warnings:
        print(f"nb2prod: warning: {warning}", file=sys.stderr)
    results = checked.results
    sys.stdout.write(api.format_check(results, args.format))
    failed = [r for r in results if isinstance(r, api.Failed) and not r.skipped]
    if args.format != "text":
        for r in failed:
            print(f"nb2prod: error: {location(r.path, r.cell)}: {r.message}", file=sys.stderr)
    if any(r.kind == api.INTERNAL for r in failed):
        return ExitCode.INTERNAL
    if failed:
        return ExitCode.USAGE
    if not args.exit_zero and any(r.findings for r in results if isinstance(r, api.Checked)):
        return ExitCode.FINDINGS
    return ExitCode.OK
