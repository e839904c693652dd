"""`python -m nb_02_model [train|predict|run] ...`: the package's commands.

- `train [--data PATH] [--artifacts DIR] [--option VALUE ...]`: fit the model, save an
  artifact;
- `predict INPUT.csv|INPUT.parquet --artifact DIR --out OUTPUT`: score new rows;
- `predict 'data/*.parquet' --engine dask --artifact DIR --out FOLDER [--scheduler ADDRESS]`:
  score files past one machine, per partition on a Dask cluster (or Spark), see `batch.py`;
- `serve --artifact DIR [--host 127.0.0.1] [--port N]`: the model as an HTTP service
  (`pip install 'nb-02-model[serve]'`), see `serve.py`;
- `run [--option VALUE ...]` (the default): the whole notebook, summarised.

Bad input (a missing column, a wrong dtype, an unreadable file, an artifact from other
library versions) is one line on stderr and exit status 2, with no output written.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, replace
from pathlib import Path

from nb_02_model.artifact import ArtifactError, load
from nb_02_model.batch import BLOCKSIZE, ENGINES, predict_files
from nb_02_model.config import Config
from nb_02_model.pipeline import run
from nb_02_model.predict import predict
from nb_02_model.rows import RowsError, read_frame, recorded_config, write_frame
from nb_02_model.train import train

COMMANDS = {"train", "predict", "serve", "run"}


def main(argv: list[str] | None = None) -> int:
    """Run a command; without one, `run` (the package's command line before train/predict)."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args.pop(0) if args and args[0] in COMMANDS else "run"
    if command == "train":
        return train_main(args)
    if command == "predict":
        return predict_main(args)
    if command == "serve":
        return serve_main(args)
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
    print(f"nb_02_model: error: {error}", file=sys.stderr)
    return 2


def train_main(argv: list[str] | None = None) -> int:
    """`train`: fit the model and save a new artifact; prints its folder and metrics."""
    parser = argparse.ArgumentParser(
        prog="nb_02_model train",
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
    parser.add_argument(
        "--contracts",
        choices=("error", "warn", "off"),
        default="error",
        help="how a schema written into contracts.py is enforced on the rows "
        "read (default: %(default)s)",
    )
    _config_options(parser)
    args = parser.parse_args(argv)
    config, _ = _config_changes(args)
    try:
        result = train(
            config, data=args.data, artifacts=args.artifacts, contracts=args.contracts
        )
    except (ArtifactError, RowsError) as exc:
        return _fail(exc)
    print(f"artifact: {result.artifact_dir}")
    for name, value in result.metrics.items():
        print(f"{name}: {value}")
    return 0


def predict_main(argv: list[str] | None = None) -> int:
    """`predict`: score the rows of a file with an artifact; writes the output atomically."""
    parser = argparse.ArgumentParser(
        prog="nb_02_model predict", description="Score new rows with a saved artifact."
    )
    parser.add_argument(
        "input",
        metavar="INPUT",
        help="the rows to score (.csv or .parquet); "
        "with --engine, files or a quoted glob of them ('data/*.parquet')",
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
        help="where the scored "
        "rows go (.csv or .parquet; with --engine, a new folder of Parquet "
        "parts), written atomically",
    )
    parser.add_argument(
        "--engine",
        choices=["pandas", *ENGINES],
        default="pandas",
        help="pandas "
        "(default): in this process; dask or spark: per partition on a cluster",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a Dask scheduler (or Spark "
        "master) to run on; default: a local cluster on this machine",
    )
    parser.add_argument(
        "--workers",
        metavar="N",
        type=int,
        help="worker processes of the "
        "local cluster (default: Dask's choice for this machine)",
    )
    parser.add_argument(
        "--blocksize",
        metavar="SIZE",
        default=BLOCKSIZE,
        help="the rows of "
        "a partition, in bytes of the input (Dask; default: %(default)s)",
    )
    parser.add_argument(
        "--allow-version-mismatch",
        action="store_true",
        help="load an "
        "artifact made with other library versions (a warning, not an error)",
    )
    parser.add_argument(
        "--contracts",
        choices=("error", "warn", "off"),
        default="error",
        help="rows that break the input's contract: refused (error, the "
        "default), scored with a warning (warn), not checked (off)",
    )
    parser.add_argument(
        "--monitoring",
        metavar="DIR",
        default="monitoring",
        help="the folder "
        "under base_dir the batch's drift record is appended to "
        "(default: %(default)s)",
    )
    _config_options(parser)
    args = parser.parse_args(argv)
    changed, given = _config_changes(args)
    try:
        artifact = load(
            Path(args.artifact), allow_version_mismatch=args.allow_version_mismatch
        )
        # the config training used, with the options given here on top
        config = recorded_config(artifact.metadata.config, Config())
        config = replace(config, **{name: getattr(changed, name) for name in given})
        if args.engine != "pandas":
            done = predict_files(
                args.input,
                artifact,
                args.out,
                config,
                engine=args.engine,
                scheduler=args.scheduler,
                workers=args.workers,
                blocksize=args.blocksize,
                allow_version_mismatch=args.allow_version_mismatch,
            )
            print(
                f"{done.out}: {done.rows} rows scored in {done.parts} parts with {artifact.path}"
            )
            return 0
        rows = read_frame(args.input)
        scored = predict(
            rows,
            artifact,
            config,
            source=args.input,
            contracts=args.contracts,
            monitoring=args.monitoring,
        )
        write_frame(scored, args.out)
    except (ArtifactError, RowsError) as exc:
        return _fail(exc)
    print(f"{args.out}: {len(scored)} rows scored with {artifact.path}")
    return 0


def serve_main(argv: list[str] | None = None) -> int:
    """`serve`: the model as an HTTP service (serve.py; needs the `serve` extra)."""
    try:
        from nb_02_model.serve import main as serve
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.startswith("nb_02_model"):
            raise
        print(
            f"nb_02_model serve needs {exc.name}: pip install 'nb-02-model[serve]'",
            file=sys.stderr,
        )
        return 2
    return serve(argv)


if __name__ == "__main__":
    sys.exit(main())
