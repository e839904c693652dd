"""The command line: the only place that prints or exits.

Each sub-command lives in its own module: its docstring is the command's description in
--help, beside `HELP` (and an optional `EPILOG`), `add_arguments(parser)` and
`run(args) -> int`. The commands call `nb2prod.api` and print what it returns (`common`
holds what they share); `main(argv)` returns an exit code and is tested in-process.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from enum import IntEnum
from importlib import import_module

from nb2prod import __version__


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1  # findings reported (check), or a conversion that is not equivalent
    USAGE = 2  # bad command line, or an input file that cannot be used
    INTERNAL = 3  # a bug in nb2prod
    UNVERIFIED = 4  # verification could not compare everything: equivalence is not claimed


# Sub-commands, each a module of this package; imported only when used.
COMMANDS = {
    "check": "nb2prod.cli.check",
    "pin": "nb2prod.cli.pin",
    "convert": "nb2prod.cli.convert",
    "verify": "nb2prod.cli.verify",
    "export": "nb2prod.cli.export",
}


def _parser(only: str | None = None) -> tuple[argparse.ArgumentParser, dict[str, str]]:
    """The parser, with the sub-command `only` (when it names one) or every sub-command: a
    pre-commit run of `nb2prod check` need not import the other commands' modules."""
    parser = argparse.ArgumentParser(
        prog="nb2prod",
        description="Turn a Jupyter notebook into production code, and prove it does what the notebook did.",
    )
    parser.add_argument("--version", action="version", version=f"nb2prod {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    available: dict[str, str] = {}
    for name, module_name in COMMANDS.items():
        if only in COMMANDS and name != only:
            continue
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # a command not built yet
            raise
        p = sub.add_parser(
            name,
            help=module.HELP,
            description=module.__doc__,
            epilog=getattr(module, "EPILOG", None),
        )
        module.add_arguments(p)
        available[name] = module_name
    return parser, available


def main(argv: list[str] | None = None) -> int:
    # the library loads here, not when this module does: `run` turns a Ctrl-C while it loads
    # into "interrupted" (the commands import it too)
    from nb2prod.api import describe_bug

    arguments = sys.argv[1:] if argv is None else argv
    parser, available = _parser(arguments[0] if arguments else None)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    module = import_module(available[args.command])
    try:
        return int(module.run(args))
    except KeyboardInterrupt:
        print("nb2prod: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:  # a bug in the command itself (the API returns its own as values)
        print(f"nb2prod: {describe_bug(exc)}", file=sys.stderr)
        return ExitCode.INTERNAL


def run() -> None:
    """Console-script entry point."""
    try:
        code = main()
    except KeyboardInterrupt:  # Ctrl-C while the command was still being loaded
        print("nb2prod: interrupted", file=sys.stderr)
        code = 130
    # The command is done (its cleanup ran): a Ctrl-C from now on cannot stop anything, and
    # must not turn the exit status into "killed by SIGINT" while the interpreter shuts down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if code == 130:
        # CPython exits by SIGINT whenever a KeyboardInterrupt ever escaped code run through
        # PyRun_String (as extension modules do while importing), even one caught later
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
