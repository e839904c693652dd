"""A short coverage-guided fuzz run of the loader (tests/hostile/fuzz_load.py) in CI: 60 s, no crash."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPORA

HARNESS = Path(__file__).with_name("fuzz_load.py")
SECONDS = 60


@pytest.mark.slow
def test_loader_survives_a_minute_of_fuzzing(tmp_path: Path) -> None:
    pytest.importorskip(
        "atheris", reason="atheris is in the test extra; it ships wheels for Linux x86-64"
    )
    seeds, artifacts = tmp_path / "seeds", tmp_path / "artifacts"
    artifacts.mkdir()
    made = subprocess.run(
        [sys.executable, str(HARNESS), "--write-seeds", str(seeds)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    count = int(made.stdout.split()[1])
    assert count >= (350 if (CORPORA / "parsing").is_dir() else 60), made.stdout
    run = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            str(seeds),
            f"-max_total_time={SECONDS}",
            f"-artifact_prefix={artifacts}/",
            "-timeout=30",
            "-rss_limit_mb=2048",
            "-print_final_stats=1",
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS * 4,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    log = run.stderr
    crashes = sorted(p.name for p in artifacts.iterdir())
    assert crashes == [], log[-4000:]  # crash-*, timeout-*, oom-*: each an input to reproduce with
    assert run.returncode == 0, log[-4000:]
    done = re.search(r"Done (\d+) runs in (\d+) second", log)
    assert done and int(done.group(1)) > count, log[-2000:]  # it ran the seeds, then mutations
