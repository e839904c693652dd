"""`python -m nb109_clean_sklearn_np_seed [train|predict|run] ...`: the package's commands.

- `train [--data PATH] [--artifacts DIR] [--option VALUE ...]`: fit the model, save an
  artifact;
- `predict INPUT.csv|INPUT.parquet --artifact DIR --out OUTPUT`: score new rows;
- `predict 'data/*.parquet' --engine dask --artifact DIR --out FOLDER [--scheduler ADDRESS]`:
  score files past one machine, per partition on a Dask cluster (or Spark), see `batch.py`;
- `monitor [--monitoring DIR] [--artifact DIR] [--html FILE] [--fail-on-drift]`: the drift
  of the scored batches, a table and an HTML report (drift.py); with `--fail-on-drift`,
  exit status 3 when a feature or the predictions are above the alert threshold;
- `compare-models OLD NEW [--fail-on-change]`: how a new artifact's predictions and
  decisions differ from an old one's on its reference sample (compare.py); exit status 3
  with `--fail-on-change` beyond the tolerances of `config.Thresholds`;
- `serve --artifact DIR [--host 127.0.0.1] [--port N]`: the model as an HTTP service
  (`pip install 'nb109-clean-sklearn-np-seed[serve]'`), see `serve.py`;
- `run [--option VALUE ...]` (the default): the whole notebook, summarised.

Bad input (a missing column, a wrong dtype, an unreadable file, an artifact from other
library versions) is one line on stderr and exit status 2, with no output written.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, replace
from pathlib import Path

from nb109_clean_sklearn_np_seed import compare as _compare
from nb109_clean_sklearn_np_seed import drift as _drift
from nb109_clean_sklearn_np_seed.artifact import ArtifactError, load
from nb109_clean_sklearn_np_seed.batch import BLOCKSIZE, ENGINES, predict_files
from nb109_clean_sklearn_np_seed.config import Config, Thresholds
from nb109_clean_sklearn_np_seed.predict import predict
from nb109_clean_sklearn_np_seed.rows import (
    RowsError,
    read_frame,
    recorded_config,
    write_frame,
)
from nb109_clean_sklearn_np_seed.train import train

COMMANDS = {"train", "predict", "monitor", "compare-models", "serve", "run"}
# `monitor --fail-on-drift` and `compare-models --fail-on-change`: the alarm a scheduler sees
# (2 stays bad input)
EXIT_DRIFT = 3


def main(argv: list[str] | None = None) -> int:
    """Run a command; without one, `run` (the package's command line before train/predict)."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args.pop(0) if args and args[0] in COMMANDS else "run"
    if command == "train":
        return train_main(args)
    if command == "predict":
        return predict_main(args)
    if command == "monitor":
        return monitor_main(args)
    if command == "compare-models":
        return compare_main(args)
    if command == "serve":
        return serve_main(args)
    return run_main(args)


def run_main(argv: list[str] | None = None) -> int:
    """`run`: the whole notebook; prints every field of its results on one line each."""
    # imported here: the notebook's whole flow may need what training and scoring do not
    # (a plotting library), and the other commands never import it
    from nb109_clean_sklearn_np_seed.pipeline import run

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
        prog="nb109_clean_sklearn_np_seed predict",
        description="Score new rows with a saved artifact.",
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
                contracts=args.contracts,
                monitoring=args.monitoring,
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


def monitor_main(argv: list[str] | None = None) -> int:
    """`monitor`: the recent batches' drift as a table, and an HTML report with plots."""
    t = Thresholds()
    parser = argparse.ArgumentParser(
        prog="nb109_clean_sklearn_np_seed monitor",
        description="Summarise the drift of the scored batches.",
    )
    parser.add_argument(
        "--monitoring",
        metavar="DIR",
        default="monitoring",
        help="the folder predict appends its records to (default: %(default)s)",
    )
    parser.add_argument(
        "--artifact",
        metavar="DIR",
        default="artifacts",
        help="an artifact, or a folder of them: the one the batches were scored with gives "
        "the training distributions (default: %(default)s)",
    )
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="where the HTML report goes (default: report.html in the monitoring folder)",
    )
    parser.add_argument(
        "--batches",
        metavar="N",
        type=int,
        default=t.recent_batches,
        help="the recent batches PSI is averaged over (default: %(default)s)",
    )
    parser.add_argument(
        "--psi-warn",
        metavar="PSI",
        type=float,
        default=t.psi_warn,
        help="default: %(default)s (config.Thresholds)",
    )
    parser.add_argument(
        "--psi-alert",
        metavar="PSI",
        type=float,
        default=t.psi_alert,
        help="default: %(default)s (config.Thresholds)",
    )
    parser.add_argument(
        "--fail-on-drift",
        action="store_true",
        help=f"exit status {EXIT_DRIFT} when a feature or the predictions are above "
        "--psi-alert, and beyond sampling noise, in the latest batch",
    )
    args = parser.parse_args(argv)
    thresholds = replace(
        t, psi_warn=args.psi_warn, psi_alert=args.psi_alert, recent_batches=args.batches
    )
    try:
        records = _drift.read(args.monitoring)
    except _drift.MonitoringError as exc:
        return _fail(exc)
    summary = _drift.summarize(records, thresholds)
    baseline, note = _baseline_of(Path(args.artifact), summary.version)
    report = Path(args.html) if args.html else Path(args.monitoring) / "report.html"
    try:
        report.write_text(_drift.html(summary, records, baseline), encoding="utf-8")
    except OSError as exc:
        return _fail(
            RowsError(str(report), f"cannot be written: {exc.strerror or exc}")
        )
    print(_drift.table(summary), end="")
    if note:
        print(note)
    print(f"report: {report}")
    return EXIT_DRIFT if args.fail_on_drift and summary.drifted else 0


def _baseline_of(path: Path, version: str) -> tuple[dict[str, object] | None, str]:
    """The baseline of the artifact `version` (under `path`, or `path` itself), or why not."""
    folder = path / version if (path / version).is_dir() else path
    try:
        artifact = load(folder, allow_version_mismatch=True)
    except ArtifactError as exc:
        return None, f"no training distributions in the report: {exc}"
    if artifact.metadata.version != version:
        found = artifact.metadata.version
        return (
            None,
            f"no training distributions in the report: {folder} is {found}, not {version}",
        )
    baseline = artifact.objects.get("baseline")
    return (dict(baseline), "") if isinstance(baseline, dict) else (None, "")


def compare_main(argv: list[str] | None = None) -> int:
    """`compare-models OLD NEW`: the new artifact's predict() on the old one's reference sample."""
    parser = argparse.ArgumentParser(
        prog="nb109_clean_sklearn_np_seed compare-models",
        description="How a new model's predictions and decisions differ from an old one's.",
    )
    parser.add_argument(
        "old",
        metavar="OLD_ARTIFACT",
        help="the artifact in use (its reference sample is scored again)",
    )
    parser.add_argument("new", metavar="NEW_ARTIFACT", help="the retrained artifact")
    parser.add_argument(
        "--allow-version-mismatch",
        action="store_true",
        help="load artifacts made with other library versions",
    )
    parser.add_argument(
        "--fail-on-change",
        action="store_true",
        help=f"exit status {EXIT_DRIFT} beyond the tolerances of config.Thresholds",
    )
    args = parser.parse_args(argv)
    try:
        old = load(Path(args.old), allow_version_mismatch=args.allow_version_mismatch)
        new = load(Path(args.new), allow_version_mismatch=args.allow_version_mismatch)
        comparison = _compare.compare(
            old,
            new,
            lambda rows, artifact: predict(
                rows,
                artifact,
                source="the reference sample",
                contracts="off",
                monitoring=None,
            ),
            Thresholds(),
        )
    except (ArtifactError, RowsError, _compare.CompareError) as exc:
        return _fail(exc)
    print(_compare.table(comparison), end="")
    return EXIT_DRIFT if args.fail_on_change and comparison.beyond() else 0


def serve_main(argv: list[str] | None = None) -> int:
    """`serve`: the model as an HTTP service (serve.py; needs the `serve` extra)."""
    try:
        from nb109_clean_sklearn_np_seed.serve import main as serve
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.startswith("nb109_clean_sklearn_np_seed"):
            raise
        print(
            f"nb109_clean_sklearn_np_seed serve needs {exc.name}: pip install 'nb109-clean-sklearn-np-seed[serve]'",
            file=sys.stderr,
        )
        return 2
    return serve(argv)


if __name__ == "__main__":
    sys.exit(main())
