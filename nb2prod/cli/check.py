"""`nb2prod check PATH...`: report hidden state in notebooks."""

from __future__ import annotations

import argparse
import sys

from nb2prod.cli import ExitCode


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "check",
        help="report hidden state (NB101-NB112) in notebooks",
        description="Report hidden state in notebooks: out-of-order runs, stale outputs, "
        "undefined names, unseeded randomness and more (rules NB101-NB112).",
    )
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
    from nb2prod.core.config import config_for, parse_codes
    from nb2prod.core.errors import ConfigError
    from nb2prod.lint.check import CheckRequest, Failed, check_paths
    from nb2prod.lint.formats import RENDERERS
    from nb2prod.notebook.load import iter_notebook_paths

    try:
        select = parse_codes(args.select, "--select", "--select") if args.select else None
        ignore = parse_codes(args.ignore, "--ignore", "--ignore") if args.ignore else ()
    except ConfigError as exc:
        print(f"nb2prod: error: {exc.message}", file=sys.stderr)
        return ExitCode.USAGE
    paths = list(iter_notebook_paths(args.paths))
    if not paths:
        print("nb2prod: error: no notebooks found in " + ", ".join(args.paths), file=sys.stderr)
        return ExitCode.USAGE
    warned: set[str] = set()
    for path in paths:
        try:
            for warning in config_for(path).warnings:
                if warning not in warned:
                    warned.add(warning)
                    print(f"nb2prod: warning: {warning}", file=sys.stderr)
        except ConfigError:
            pass  # reported per file by check_file
    results = list(check_paths(paths, CheckRequest(select, ignore), jobs=args.jobs))
    sys.stdout.write(RENDERERS[args.format](results))
    failed = [r for r in results if isinstance(r, Failed) and not r.skipped]
    if args.format != "text":
        for r in failed:
            where = r.path + (f":cell {r.cell}" if r.cell is not None else "")
            print(f"nb2prod: error: {where}: {r.message}", file=sys.stderr)
    if any(r.kind == "internal" for r in failed):
        return ExitCode.INTERNAL
    if failed:
        return ExitCode.USAGE
    if not args.exit_zero and any(r.findings for r in results if not isinstance(r, Failed)):
        return ExitCode.FINDINGS
    return ExitCode.OK
