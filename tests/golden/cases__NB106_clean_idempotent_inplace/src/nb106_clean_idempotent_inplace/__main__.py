"""`python -m nb106_clean_idempotent_inplace [--option VALUE ...]`: run the pipeline and summarise its results."""

from __future__ import annotations

import sys

from nb106_clean_idempotent_inplace.config import Config
from nb106_clean_idempotent_inplace.pipeline import run


def main(argv: list[str] | None = None) -> int:
    config = Config.from_args(argv)
    results = run(config)
    for name, value in vars(results).items():
        text = repr(value).replace("\n", " ")
        print(f"{name}: {text[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
