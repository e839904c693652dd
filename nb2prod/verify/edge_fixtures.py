"""Edge tests from what verify captured: return types, imputed values, untaken branches.

Run after the golden fixtures (their sampled inputs are the starting point): the feature
functions' code is read for imputations and row conditions (`nb2prod.convert.edge_cases`),
then a program in the package's environment (`programs/edge_records.py`) judges them on the
notebook's data and records the outcomes under tests/fixtures/<function>/, and
tests/test_edges.py replays them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Collection
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nb2prod.convert.edge_cases import FunctionEdges, analyze_module
from nb2prod.convert.plan import Function, Plan
from nb2prod.convert.render import format_source, render_template, root_from_package
from nb2prod.verify.programs import program
from nb2prod.verify.project import open_view
from nb2prod.verify.sandbox import stands_for

EDGE_PROGRAM = ("parent_death", "capture_hooks", "clock", "seed", "edge_records")
EDGE_TIMEOUT = 600  # seconds for the whole edge run
TESTED_ROLES = ("data", "features", "business")  # model steps fit: their golden test is enough


def edge_sites(plan: Plan, package_dir: Path) -> dict[str, FunctionEdges]:
    """The imputations and row conditions of each feature function, from the written modules."""
    sites: dict[str, FunctionEdges] = {}
    features = [f for f in plan.functions if str(f.role.value) == "features"]
    for module in sorted({f.module for f in features}):
        path = package_dir / "src" / plan.package / f"{module}.py"
        if path.is_file():
            names = [f.name for f in features if f.module == module]
            for found in analyze_module(path.read_text("utf-8"), module, names):
                sites[found.function] = found
    return sites


def _spec(function: Function, producer: dict[str, str], sites: FunctionEdges | None) -> Any:
    return {
        "name": function.name,
        "module": function.module,
        "params": list(function.params),
        "returns": list(function.returns),
        "config": function.takes_config,
        "producers": {p: producer.get(p, "") for p in function.params},
        "imputations": [asdict(i) for i in sites.imputations] if sites else [],
        "conditions": [asdict(c) for c in sites.conditions] if sites else [],
    }


def write_edge_tests(
    plan: Plan, captured_dir: Path, package_dir: Path, workdir: Path, with_fixture: Collection[str]
) -> dict[str, str]:
    """Record edge cases of the functions with golden fixtures; write tests/test_edges.py."""
    tests = package_dir / "tests"
    sites = edge_sites(plan, package_dir)
    producer: dict[str, str] = {}
    specs = []
    for function in plan.functions:
        if function.name in with_fixture and str(function.role.value) in TESTED_ROLES:
            specs.append(_spec(function, producer, sites.get(function.name)))
        for name in function.returns:
            producer[name] = function.name
    (tests / "test_edges.py").unlink(missing_ok=True)
    for spec in specs:  # an earlier verification's records, which these replace
        shutil.rmtree(tests / "fixtures" / spec["name"] / "edges", ignore_errors=True)
        (tests / "fixtures" / spec["name"] / "edges.json").unlink(missing_ok=True)
    if not specs:
        return {}
    parameters = {
        "captured": str(captured_dir),
        "fixtures": str(tests / "fixtures"),
        "package": plan.package,
        "functions": specs,
    }
    env = {**os.environ, "PYTHONPATH": str(package_dir / "src"), "MPLBACKEND": "Agg"}
    argv = [sys.executable, "-c", program(*EDGE_PROGRAM), json.dumps(parameters)]
    with tempfile.TemporaryDirectory(prefix="nb2prod-edges-", ignore_cleanup_errors=True) as tmp:
        # as the fixture run: the functions read the notebook's files through a view of its project
        notebook, cwd = stands_for(workdir), workdir
        if notebook is not None:
            view = open_view(notebook, Path(tmp), start=plan.base_dir)
            argv, cwd = [*view.prefix, *argv], view.launch_dir
        try:
            done = subprocess.run(
                argv,
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=EDGE_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return {s["name"]: f"no edge tests: over {EDGE_TIMEOUT} s" for s in specs}
    if done.returncode:
        why = (done.stderr.strip().splitlines() or ["edge run failed"])[-1]
        return {s["name"]: f"no edge tests: {why}" for s in specs}
    report: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    cases = [
        {k: s[k] for k in ("module", "name", "params", "returns", "config")}
        for s in specs
        if (tests / "fixtures" / s["name"] / "edges.json").is_file()
    ]
    if cases:
        kinds = {  # only tests that have cases: an empty parametrization shows as a skip
            case["kind"]
            for c in cases
            for case in json.loads((tests / "fixtures" / c["name"] / "edges.json").read_text())
        }
        text = render_template(
            "test_edges.py.j2",
            package=plan.package,
            cases=cases,
            kinds=kinds,
            project_root=root_from_package(plan, package_dir),
        )
        (tests / "test_edges.py").write_text(format_source(text, "test_edges.py"), "utf-8")
    return report
