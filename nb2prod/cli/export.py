"""Export a generated package's training to an orchestrator.

`nb2prod export airflow PKG_DIR` writes an Airflow DAG (TaskFlow API, Airflow 3) that trains
the package `nb2prod convert` wrote: configure, one task per step of its train.py, save,
record_metrics; the package's config fields as the DAG's params, files passed by path through
a run folder.
"""

from __future__ import annotations

import argparse
import sys

from nb2prod import api
from nb2prod.cli import ExitCode
from nb2prod.cli.common import failure

HELP = "write an orchestrator's pipeline (an Airflow DAG) that trains a generated package"


def add_arguments(p: argparse.ArgumentParser) -> None:
    targets = p.add_subparsers(dest="target", metavar="TARGET")
    targets.required = True
    airflow = targets.add_parser(
        "airflow",
        help="an Airflow DAG (TaskFlow API, Airflow 3)",
        description="Write an Airflow DAG that trains the package in PKG_DIR with its own train().",
    )
    airflow.add_argument("package", metavar="PKG_DIR", help="the folder `nb2prod convert` wrote")
    airflow.add_argument(
        "--out", metavar="FILE", help="the DAG file (default: PKG_DIR/dags/<package>_train.py)"
    )
    airflow.add_argument(
        "--workdir",
        metavar="DIR",
        help="default of the DAG's workdir param, where training runs from "
        "(default: PKG_DIR's parent folder)",
    )
    airflow.add_argument(
        "--force", action="store_true", help="replace a file nb2prod export did not write"
    )


def run(args: argparse.Namespace) -> int:
    result = api.export_airflow(args.package, args.out, workdir=args.workdir, force=args.force)
    if isinstance(result, api.Failed):
        code, text = failure(result)
        print(text, file=sys.stderr)
        return code
    print(f"{args.package}: wrote Airflow DAG '{result.dag_id}' to {result.out}")
    print(f"  tasks: {' -> '.join(result.tasks)}")
    names = ", ".join(p.name for p in result.params)
    print(f"  params: {len(result.params)} config fields ({names}), and where to run")
    print(f"  install the package where the tasks run: pip install {args.package}")
    return ExitCode.OK
