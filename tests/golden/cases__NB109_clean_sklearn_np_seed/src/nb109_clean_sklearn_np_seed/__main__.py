"""`python -m nb109_clean_sklearn_np_seed [train|predict|run] ...`: the package's commands.

- `train [--data PATH] [--artifacts DIR] [--option VALUE ...]`: fit the model, save an
  artifact;
- `predict INPUT.csv|INPUT.parquet --artifact DIR --out OUTPUT`: score new rows;
- `run [--option VALUE ...]` (the default): the whole notebook, summarised.

Bad input (a missing column, a wrong dtype, an unreadable file, an artifact from other
library versions) is one line on stderr and exit status 2, with no output written.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, replace
from pathlib import Path

from nb109_clean_sklearn_np_seed.artifact import ArtifactError, load
from nb109_clean_sklearn_np_seed.config import Config
from nb109_clean_sklearn_np_seed.pipeline import run
from nb109_clean_sklearn_np_seed.predict import predict
from nb109_clean_sklearn_np_seed.rows import (
    RowsError,
    read_frame,
    recorded_config,
    write_frame,
)
from nb109_clean_sklearn_np_seed.train import train

COMMANDS = {"train", "predict", "run"}


def main(argv: list[str] | None = None) -> int:
    """Run a command; without one, `run` (the package's command line before train/predict)."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args.pop(0) if args and args[0] in COMMANDS else "run"
    if command == "train":
        return train_main(args)
    if command == "predict":
        return predict_main(args)
    return run_main(args)


def run_main(argv: list[str] | None = None) -> int:
    """`run`: the whole notebook; prints every field of its results on one line each."""
    config = Config.from_args(argv)
    results = run(config)
    for name, value in vars(results).items():
        text = repr(value).replace("\n", " ")
        print(f"{name}: {text[:100]}")
    return 0


def _config_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("config (the notebook's parameters)")
    for item in fields(Config):
        group.add_argument(
            "--" + item.name.replace("_", "-"),
            dest=f"config_{item.name}",
            metavar="VALUE",
            default=None,
            help=f"default: {getattr(Config(), item.name)!r}",
        )


def _config_changes(args: argparse.Namespace) -> tuple[Config, list[str]]:
    """The config from the given options (Config's own parsing), and the fields given."""
    given = [
        f.name for f in fields(Config) if getattr(args, f"config_{f.name}") is not None
    ]
    argv = []
    for name in given:
        argv += ["--" + name.replace("_", "-"), getattr(args, f"config_{name}")]
    return Config.from_args(argv), given


def _fail(error: Exception) -> int:
    print(f"nb109_clean_sklearn_np_seed: error: {error}", file=sys.stderr)
    return 2


def train_main(argv: list[str] | None = None) -> int:
    """`train`: fit the model and save a new artifact; prints its folder and metrics."""
    parser = argparse.ArgumentParser(
        prog="nb109_clean_sklearn_np_seed train",
        description="Fit the model and save a versioned artifact.",
    )
    parser.add_argument(
        "--data",
        metavar="PATH",
        help="the training rows (.csv or .parquet) "
        "instead of what the notebook reads",
    )
    parser.add_argument(
        "--artifacts",
        metavar="DIR",
        help="where artifacts are saved " "(default: artifacts/ under base_dir)",
    )
    _config_options(parser)
    args = parser.parse_args(argv)
    config, _ = _config_changes(args)
    try:
        result = train(config, data=args.data, artifacts=args.artifacts)
    except (ArtifactError, RowsError) as exc:
        return _fail(exc)
    print(f"artifact: {result.artifact_dir}")
    for name, value in result.metrics.items():
        print(f"{name}: {value}")
    return 0


def predict_main(argv: list[str] | None = None) -> int:
    """`predict`: score the rows of a file with an artifact; writes the output atomically."""
    parser = argparse.ArgumentParser(
        prog="nb109_clean_sklearn_np_seed predict",
        description="Score new rows with a saved artifact.",
    )
    parser.add_argument(
        "input", metavar="INPUT", help="the rows to score (.csv or .parquet)"
    )
    parser.add_argument(
        "--artifact",
        metavar="DIR",
        required=True,
        help="an artifact " "folder, or a folder of them (the newest is used)",
    )
    parser.add_argument(
        "--out",
        metavar="OUTPUT",
        required=True,
        help="where the scored " "rows go (.csv or .parquet), written atomically",
    )
    parser.add_argument(
        "--allow-version-mismatch",
        action="store_true",
        help="load an "
        "artifact made with other library versions (a warning, not an error)",
    )
    _config_options(parser)
    args = parser.parse_args(argv)
    changed, given = _config_changes(args)
    try:
        artifact = load(
            Path(args.artifact), allow_version_mismatch=args.allow_version_mismatch
        )
        rows = read_frame(args.input)
        # the config training used, with the options given here on top
        config = recorded_config(artifact.metadata.config, Config())
        config = replace(config, **{name: getattr(changed, name) for name in given})
        scored = predict(rows, artifact, config, source=args.input)
        write_frame(scored, args.out)
    except (ArtifactError, RowsError) as exc:
        return _fail(exc)
    print(f"{args.out}: {len(scored)} rows scored with {artifact.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
