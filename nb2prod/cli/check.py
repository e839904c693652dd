"""Report hidden state in notebooks: out-of-order runs, stale outputs,
undefined names, unseeded randomness and more (rules NB101-NB112).
With --confirm, each notebook with findings is also run fresh in a scratch kernel, and
findings the run refutes are dropped (docs/confirm.md).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from nb2prod import api
from nb2prod.cli import ExitCode
from nb2prod.core.config import parse_codes
from nb2prod.core.errors import ConfigError, location

# `nb2prod check PATH...`; the module's docstring is the command's description in --help.
HELP = "report hidden state (NB101-NB112) in notebooks"
EPILOG = (
    "--confirm runs the notebook's code (in a scratch copy of its folder, with --timeout per "
    "cell; the kernel and everything it started are killed afterwards): NB103/NB104/NB110 from "
    "the run's NameErrors, NB106 by running the cell twice, NB105/NB108 from the fresh output "
    "against the stored one, NB109 from a second fresh run. Findings the run cannot decide keep "
    '"confirmed": null; refuted ones are dropped unless --show-refuted. Progress and a summary '
    "per notebook go to stderr."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="notebook files or folders (searched recursively)"
    )
    p.add_argument(
        "--select",
        metavar="CODES",
        help="only these rule codes or prefixes, comma-separated (e.g. NB101,NB11); "
        "replaces the default set, opt-in rules included",
    )
    p.add_argument(
        "--extend-select",
        metavar="CODES",
        help="add these rule codes or prefixes to the selection (e.g. an opt-in rule: NB107)",
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
        help="worker processes for the static check (default: one per core)",
    )
    p.add_argument(
        "--confirm",
        action="store_true",
        help="run each notebook with findings in a scratch kernel and mark every finding "
        "confirmed or refuted (slow: runs the notebook's code)",
    )
    p.add_argument(
        "--show-refuted",
        action="store_true",
        help='with --confirm: keep refuted findings ("confirmed": false) in the output',
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="with --confirm: per-cell timeout in seconds (default 600; 0: none)",
    )
    p.add_argument("--kernel", help="with --confirm: kernel to run with (default: its kernelspec)")


def run(args: argparse.Namespace) -> int:
    try:
        select = parse_codes(args.select, "--select", "--select") if args.select else None
        ignore = parse_codes(args.ignore, "--ignore", "--ignore") if args.ignore else ()
        extend = (
            parse_codes(args.extend_select, "--extend-select", "--extend-select")
            if args.extend_select
            else ()
        )
    except ConfigError as exc:
        print(f"nb2prod: error: {exc.message}", file=sys.stderr)
        return ExitCode.USAGE
    needs = [o for o, v in _CONFIRM_ONLY.items() if getattr(args, v) not in (None, False)]
    if needs and not args.confirm:
        print(f"nb2prod: error: {needs[0]} needs --confirm", file=sys.stderr)
        return ExitCode.USAGE
    if args.timeout is not None and args.timeout < 0:
        print("nb2prod: error: --timeout must be 0 (no limit) or more seconds", file=sys.stderr)
        return ExitCode.USAGE
    request = api.CheckRequest(select, ignore, extend)
    if not args.confirm:
        checked = api.check(args.paths, request, jobs=args.jobs)
    else:
        with api.session(), _Progress(sys.stderr) as progress:  # no kernel outlives the command
            options = api.ConfirmOptions(
                args.kernel,
                600 if args.timeout is None else args.timeout,
                args.show_refuted,
                progress,
            )
            checked = api.check(args.paths, request, jobs=args.jobs, confirm=options)
    if not checked.results:
        print("nb2prod: error: no notebooks found in " + ", ".join(args.paths), file=sys.stderr)
        return ExitCode.USAGE
    for warning in checked.warnings:
        print(f"nb2prod: warning: {warning}", file=sys.stderr)
    for confirmation in checked.confirmations:
        if confirmation.findings:
            print(_summary(confirmation, args.show_refuted), file=sys.stderr)
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


# options that mean something only with --confirm -> their attribute
_CONFIRM_ONLY = {"--show-refuted": "show_refuted", "--timeout": "timeout", "--kernel": "kernel"}


def _summary(c: api.Confirmation, show_refuted: bool) -> str:
    """One line per confirmed notebook: what the run decided, and where it stopped."""
    confirmed = sum(1 for f in c.findings if f.confirmed is True)
    refuted = len(c.refuted)
    undecided = len(c.findings) - confirmed - refuted
    if c.runs == 0:
        return f"nb2prod: confirm: {c.path}: no finding can be decided by running (not run)"
    shown = "shown" if show_refuted else "dropped"
    line = (
        f"nb2prod: confirm: {c.path}: {confirmed} confirmed, {refuted} refuted ({shown}), "
        f"{undecided} undecided; {c.runs} run{'s' if c.runs > 1 else ''}, {c.seconds:.1f} s"
    )
    if c.stopped_at is not None:
        line += f"; the fresh run stopped at cell {c.stopped_at}: {c.stop_reason}"
    return line


class _Progress:
    """Which notebook runs and how far, on stderr: one updated line on a terminal, else a
    line per run started."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.last: tuple[str, api.Stage] | None = None

    def __call__(self, event: api.Progress) -> None:
        if self.live:
            self.stream.write(
                f"\r\033[Knb2prod: {event.stage.value}: {event.notebook} "
                f"(cell {event.done} of {event.total})"
            )
            self.stream.flush()
        elif (event.notebook, event.stage) != self.last:
            print(f"nb2prod: {event.stage.value}: {event.notebook}", file=self.stream)
        self.last = (event.notebook, event.stage)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live and self.last is not None:
            self.stream.write("\r\033[K")
            self.stream.flush()
