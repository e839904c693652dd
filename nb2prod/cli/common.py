"""What the commands share: how a failure is said, and the --python option."""

from __future__ import annotations

import argparse

from nb2prod import api
from nb2prod.cli import ExitCode


def failure(failed: api.Failed) -> tuple[ExitCode, str]:
    """An input error (exit 2) or an nb2prod bug (exit 3), as the one line to print."""
    if failed.kind == api.INTERNAL:
        return ExitCode.INTERNAL, f"nb2prod: {api.describe(failed)}"
    return ExitCode.USAGE, f"nb2prod: error: {api.describe(failed)}"


def add_python_option(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--python", metavar="PATH", help=help)
