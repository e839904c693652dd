"""A notebook that decides by timing gets the same verdict every time (verify/programs/clock.py).

The notebook keeps whichever of eight equal candidates it timed fastest, as a search that refits
its fastest-to-score model does. On the real clock each run picks by the machine's load: the
notebook's fresh run, its second run and the package disagree, and verify's verdict changes
from run to run. On the steady clock verify installs with the seeds, every run picks alike,
and the package's golden test (which installs the same clock) passes.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from nb2prod.cli import ExitCode, main
from tests.helpers import code, md, notebook, write

pytestmark = pytest.mark.slow

TIMED = notebook(
    code("import time", 1, outputs=[]),
    md("## Helpers"),
    code(
        "def fastest(candidates):\n"
        "    timings = {}\n"
        "    for name, work in candidates.items():\n"
        "        start = time.perf_counter()\n"
        "        work()\n"
        "        timings[name] = time.perf_counter() - start\n"
        "    return min(timings, key=timings.get)",
        2,
        outputs=[],
    ),
    md("## Choose"),
    code(
        "def work():\n"
        "    return sum(i * i for i in range(30_000))\n"
        "\n"
        "choice = fastest({name: work for name in 'abcdefgh'})",
        3,
        outputs=[],
    ),
    md("## Use"),
    code("answer = 'abcdefgh'.index(choice) * 10", 4, outputs=[]),
)


def _verdicts(report: Path) -> dict[str, Any]:
    verification = json.loads(report.read_text("utf-8"))["verification"]
    return {
        "verdict": verification["verdict"],
        "values": {
            (f["function"], v["name"]): v["verdict"]
            for f in verification["functions"]
            for v in f["values"]
        },
    }


def test_timing_decisions_verify_alike_every_time(tmp_path: Path) -> None:
    path = write(tmp_path / "timed.ipynb", TIMED)
    package = tmp_path / "pkg"
    runs = []
    for command in (
        ["convert", str(path), "--out", str(package)],
        ["verify", str(path), str(package)],
    ):
        out = io.StringIO()
        with redirect_stdout(out):
            status = main(command)
        assert status == ExitCode.OK, out.getvalue()
        runs.append(_verdicts(package / "nb2prod-report.json"))
    first, second = runs
    assert first["verdict"] == "equivalent", first
    assert first == second
    assert any(name == "choice" for _, name in first["values"]), "the choice was not compared"

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=package,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONPATH": str(package / "src")},
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert (package / "tests" / "_nb2prod_clock.py").is_file()
