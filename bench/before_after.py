"""Run one benchmark against an earlier commit and the working tree, alternately, in one run.

    .venv/bin/python bench/before_after.py BASE_REV -- bench/check_throughput.py --repeat 3
    .venv/bin/python bench/before_after.py BASE_REV --rounds 3 -- bench/verify_speed.py

The earlier commit is checked out into a temporary git worktree, and the benchmark script of
the *working tree* runs once per round against each tree, in turn (before, after, before, ...),
so both see the same machine load. The tree is chosen with PYTHONPATH, which Python puts ahead
of the editable install, so `nb2prod` and every process it starts import that tree's code.
Each run's JSON result (the path the script writes, `--result`) is kept; the figures named by
`--field` are printed per round, with the median ratio after / before.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FIELDS = {
    "check_throughput.py": ("check_throughput.json", "tools.nb2prod check.seconds"),
    "verify_speed.py": ("verify_speed.json", "0.verify_s"),
}


def _field(data: Any, dotted: str) -> float:
    for part in dotted.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return float(data)


def _run(script: list[str], tree: Path, result: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run(
        [sys.executable, *script], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    loaded: dict[str, Any] = json.loads(result.read_text("utf-8"))
    return loaded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the earlier commit (any git revision)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--result", help="JSON the script writes (default: by script name)")
    parser.add_argument("--field", help="dotted path of the figure in that JSON")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)  # after it: the script and its arguments
    args = parser.parse_args(argv[:cut])
    script = argv[cut + 1 :]
    if not script:
        parser.error("name the benchmark script after --")
    result_name, field = DEFAULT_FIELDS.get(Path(script[0]).name, (args.result, args.field))
    result_name, field = args.result or result_name, args.field or field
    if not result_name or not field:
        parser.error("--result and --field are needed for this script")
    result = ROOT / "bench" / "results" / result_name
    with tempfile.TemporaryDirectory(prefix="nb2prod-before-") as tmp:
        base = Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(base), args.base], cwd=ROOT, check=True
        )
        try:
            rows = []
            for round_ in range(1, args.rounds + 1):
                before = _field(_run(script, base, result), field)
                after = _field(_run(script, ROOT, result), field)
                rows.append((before, after))
                print(
                    f"round {round_}: before {before:.3f}  after {after:.3f}  "
                    f"ratio {after / before:.3f}",
                    flush=True,
                )
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False
            )
    ratio = statistics.median(a / b for b, a in rows)
    print(
        f"{' '.join(script)}: {field} median before {statistics.median(b for b, _ in rows):.3f}, "
        f"after {statistics.median(a for _, a in rows):.3f}, median ratio after/before {ratio:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
