"""`python -m nb106_clean_idempotent_inplace [run] ...`: the package's commands.

- `run [--option VALUE ...]` (the default): the whole notebook, summarised.
"""

from __future__ import annotations

import sys

from nb106_clean_idempotent_inplace.config import Config

COMMANDS = {"run"}


def main(argv: list[str] | None = None) -> int:
    """Run a command; without one, `run` (the package's command line before train/predict)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        args.pop(0)
    return run_main(args)


def run_main(argv: list[str] | None = None) -> int:
    """`run`: the whole notebook; prints every field of its results on one line each."""
    # imported here: the notebook's whole flow may need what training and scoring do not
    # (a plotting library), and the other commands never import it
    from nb106_clean_idempotent_inplace.pipeline import run

    config = Config.from_args(argv)
    results = run(config)
    for name, value in vars(results).items():
        text = repr(value).replace("\n", " ")
        print(f"{name}: {text[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
