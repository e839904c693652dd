"""How long the generated package's `artifact.load()` takes for the demo's model.

The demo (sample_notebooks/demo/credit_approval.ipynb) fits a GradientBoostingClassifier
(150 trees of depth 3, subsample 0.8) on 1,500 rows of 9 features; this script fits the
same model on data of that shape, renders templates/artifact.py.j2 into a scratch package,
saves an artifact and times, in the same run:
- `load`: artifact.load() as a service calls it at start-up (metadata, version checks,
  checksums, the trust check, skops), in a process where the libraries are imported;
- `skops`: skops.io.load() of the same file alone (what the checks above add to it);
- `pickle`: pickle.load() of the same object: the insecure baseline, and the ratio to it;
- `load-cpu`: the CPU time of the same `load` calls (steadier than wall time on a machine
  shared with other work);
- `cold`: a fresh interpreter importing the package's artifact module and loading, wall time
  (interpreter start included); `cold-imports` and `cold-load` split it as the child saw it:
  importing numpy, scipy, scikit-learn and skops, then the first load().
The goal is `load` under 0.5 s.

    .venv/bin/python bench/artifact_load.py [--repeat N] [--json FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GOAL_SECONDS = 0.5
ROWS, FEATURES = 1_500, 9  # the demo's training split: 2,000 applicants, 25% held out


def _model() -> Any:
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier

    rng = np.random.default_rng(42)
    X = rng.normal(size=(ROWS, FEATURES))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.8, ROWS) > 1.2).astype(int)
    model = GradientBoostingClassifier(
        n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=42
    )
    return model.fit(X, y)


def _render(folder: Path, model: Any) -> Path:
    from nb2prod.convert.artifact import artifact_context, trust_list
    from nb2prod.convert.render import render_template

    context = artifact_context(
        package="credit_approval",
        notebook_name="credit_approval.ipynb",
        notebook_source=b"",
        trust=trust_list([model], ()),
        distributions=("numpy", "pandas", "scikit-learn"),
    )
    file = folder / "credit_approval" / "artifact.py"
    file.parent.mkdir(parents=True)
    (file.parent / "__init__.py").write_text("")
    file.write_text(render_template("artifact.py.j2", **context.values()), encoding="utf-8")
    return file


def _import(file: Path) -> Any:
    spec = importlib.util.spec_from_file_location("credit_approval.artifact", file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _times(work: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed loads of each kind")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    import skops.io as sio

    model = _model()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        artifact = _import(_render(root, model))
        metadata = artifact.describe(config={}, metrics={"auc": 0.0}, features=())
        folder = artifact.save({"model": model}, metadata, root / "artifacts")
        skops_file = folder / "model.skops"
        pickle_file = root / "model.pkl"
        pickle_file.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        trusted = sio.get_untrusted_types(file=skops_file)

        def load_pickle() -> object:
            with open(pickle_file, "rb") as handle:
                return pickle.load(handle)

        artifact.load(folder)  # warm the file cache and the trust list's one-time lookup
        cpu: list[float] = []  # load()'s CPU time: what a busy machine's waiting leaves out

        def load_cpu() -> object:
            used = time.process_time()
            loaded = artifact.load(folder)
            cpu.append(time.process_time() - used)
            return loaded

        timed = {
            "load": _times(load_cpu, args.repeat),
            "skops": _times(lambda: sio.load(skops_file, trusted=trusted), args.repeat),
            "pickle": _times(load_pickle, args.repeat),
        }
        # the child prints how long its imports took, then its load()
        program = (
            "import sys, time; t = time.perf_counter(); sys.path.insert(0, sys.argv[1]); "
            "from credit_approval import artifact; from pathlib import Path; "
            "u = time.perf_counter(); artifact.load(Path(sys.argv[2])); "
            "print(u - t, time.perf_counter() - u)"
        )
        cold, cold_imports, cold_load = [], [], []
        for _ in range(max(3, args.repeat // 5)):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", program, str(root), str(folder)],
                capture_output=True,
                text=True,
                check=True,
            )
            cold.append(time.perf_counter() - started)
            imports, loading = (float(x) for x in done.stdout.split())
            cold_imports.append(imports)
            cold_load.append(loading)
        timed.update(
            {"load-cpu": cpu, "cold": cold, "cold-imports": cold_imports, "cold-load": cold_load}
        )
        sizes = {
            "skops_bytes": skops_file.stat().st_size,
            "pickle_bytes": len(pickle_file.read_bytes()),
        }

    medians = {name: statistics.median(times) for name, times in timed.items()}
    for name, times in timed.items():
        print(
            f"{name:12} n={len(times):3}  median={medians[name] * 1000:8.1f} ms  "
            f"min={min(times) * 1000:8.1f} ms  max={max(times) * 1000:8.1f} ms"
        )
    ratio = medians["load"] / medians["pickle"]
    print(
        f"load / pickle = {ratio:.1f}x   load / skops = {medians['load'] / medians['skops']:.2f}x"
    )
    print(f"files: skops {sizes['skops_bytes']:,} bytes, pickle {sizes['pickle_bytes']:,} bytes")
    verdict = "within" if medians["load"] < GOAL_SECONDS else "OVER"
    print(f"goal: load under {GOAL_SECONDS} s: {verdict}")
    if args.json:
        args.json.write_text(
            json.dumps({"median_seconds": medians, "load_over_pickle": ratio, **sizes}, indent=2)
            + "\n"
        )
    return 0 if medians["load"] < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
