"""`python -m nb_02_model [--option VALUE ...]`: run the pipeline and summarise its results."""

from __future__ import annotations

import sys

from nb_02_model.config import Config
from nb_02_model.pipeline import run


def main(argv: list[str] | None = None) -> int:
    config = Config.from_args(argv)
    results = run(config)
    for name, value in vars(results).items():
        text = repr(value).replace("\n", " ")
        print(f"{name}: {text[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
