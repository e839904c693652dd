"""Print the execution-fault table of docs/reliability.md from fresh runs.

    .venv/bin/python -m tests.faults.table

Runs every notebook of `test_execution_faults.FAULTS` through the real CLI, one at a time,
with the same accounting as the tests (survivors, `nb2prod-*` folders left, peak memory).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.faults.test_execution_faults import FAULTS, _run


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="fault-table-"))
    print(
        "| fault (cell 1) | command | verdict line | exit | s | nb2prod MB | tree MB | processes left | temp folders left |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, fault in FAULTS.items():
        outcome = _run(root, name, fault)
        run = outcome.run
        stop = next(
            (
                line.strip()
                for line in run.stdout.splitlines()
                if "the fresh run stopped at" in line
            ),
            next(
                (
                    line.split(": ", 1)[1].split(":")[0]
                    for line in run.stdout.splitlines()
                    if line.startswith(str(outcome.project))
                ),
                "",
            ),
        )
        command = " ".join(["nb2prod", fault.command, "fault.ipynb", *fault.args])
        print(
            f"| {name} | `{command}` | {stop[:110]} | {run.code} | {run.seconds:.0f} | {run.own_peak_mb:.0f} "
            f"| {run.tree_peak_mb:.0f} | {len(run.survivors)} | {len(run.leftovers)} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
