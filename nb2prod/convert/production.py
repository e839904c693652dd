"""`train.py`, `predict.py` and the package's commands, from the fit boundary (issue #14).

`convert.fit` finds which statements fit and evaluate the model (the train slice) and which
turn new rows into predictions and decisions (the predict slice). This module writes them
as two functions of the generated package, beside `pipeline.run()`:

- `train(config, data=None, artifacts=None) -> TrainResult` runs the train slice, records
  what training saw (the input's columns, dtypes and missing values, the model's features,
  statistics the predict steps take over the rows, the metrics) and saves the fitted objects
  with `artifact.save`;
- `predict(frame, artifact) -> frame` runs the predict slice on new rows, with the fitted
  objects and statistics from the artifact, after checking the rows against what training saw.

Statements keep their text; the few that change (the held-out names of the slice, an edit
that drops the target, a recorded statistic) are written from their syntax tree.
"""

from __future__ import annotations

import ast
import copy
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import libcst as cst

from nb2prod.analysis.imports import carry_modules, qualify
from nb2prod.analysis.statements import Statement
from nb2prod.analysis.syntax import dotted_name
from nb2prod.convert.artifact import artifact_context, trust_list
from nb2prod.convert.contracts import contracts_context
from nb2prod.convert.dependencies import PYLOCK, REQUIREMENTS_LOCK, unpinned
from nb2prod.convert.fit import FitBoundary, Problem, apis
from nb2prod.convert.plan import ConfigField, Plan
from nb2prod.convert.render import (
    Package,
    _format,
    _parsed_statement,
    _prune_imports,
    render_template,
)
from nb2prod.convert.service import SERVE_EXTRA, SERVE_REQUIREMENTS, service_context
from nb2prod.convert.train_steps import GIVEN, STEPS, Step, step_functions

_TopLevel = cst.SimpleStatementLine | cst.BaseCompoundStatement
# Methods of the model that score a matrix: predict puts the matrix gate around their argument.
MODEL_CALLS = frozenset(
    {"predict", "predict_proba", "predict_log_proba", "decision_function", "score_samples"}
)


@dataclass(frozen=True, slots=True)
class Production:
    """What the package got of train and predict, and why not, for the reports."""

    train: bool
    predict: bool
    fitted: tuple[str, ...]  # the objects the artifact saves, the model last
    metrics: tuple[str, ...]  # the names the metrics are recorded under
    inputs: tuple[str, ...]  # the frames predict takes (one when it exists)
    reasons: tuple[str, ...]  # why there is no train.py or predict.py, naming the statement
    notes: tuple[str, ...]  # what a reader of predict.py should know

    def to_json(self) -> dict[str, object]:
        return {
            "train": self.train,
            "predict": self.predict,
            "fitted": list(self.fitted),
            "metrics": list(self.metrics),
            "inputs": list(self.inputs),
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }


def production(boundary: FitBoundary | None) -> Production | None:
    """What train and predict the boundary allows (None: the notebook fits nothing)."""
    if boundary is None:
        return None
    reasons = [_where(p) for p in boundary.blocking]
    fitted = tuple(f.name for f in boundary.fitted)
    if not fitted and not reasons:
        reasons.append("nothing fitted is kept at module level: nothing to save")
    if fitted and len(boundary.inputs) > 1 and boundary.predictable:
        names = ", ".join(i.name for i in boundary.inputs)
        reasons.append(f"scoring reads several inputs ({names}): predict takes one frame")
    return Production(
        train=bool(fitted),
        predict=bool(fitted) and boundary.predictable and len(boundary.inputs) == 1,
        fitted=fitted,
        metrics=(),
        inputs=tuple(i.name for i in boundary.inputs),
        reasons=tuple(reasons),
        notes=tuple(_where(p) for p in boundary.problems if not p.blocking),
    )


def _where(problem: Problem) -> str:
    return f"cell {problem.cell}, line {problem.line}: {problem.detail} ({problem.kind.value})"


def add_production(plan: Plan, package: Package, boundary: FitBoundary | None) -> Package:
    """The package with train.py, predict.py, artifact.py, rows.py and their commands added
    (as far as the boundary allows), and the reports saying what was made and why not."""
    made = production(boundary)
    if made is None or boundary is None:
        return package
    files = dict(package.files)
    name = plan.package
    if made.train:
        writer = _Writer(plan, boundary)
        # -- the reference sample for compare-models (issue #15, item 5): with predict only
        files[f"src/{name}/train.py"] = writer.train(reference=made.predict)
        made = replace(made, metrics=writer.metric_names)
        if made.predict:
            files[f"src/{name}/predict.py"] = writer.predict()
            # -- batch scoring on Dask or Spark (issue #16, item 5): batch.py and its extras
            files[f"src/{name}/batch.py"] = _format(
                render_template("batch.py.j2", package=name), "batch.py"
            )
            files["pyproject.toml"] = _with_extras(files["pyproject.toml"], BATCH_EXTRAS)
            # -- end of batch scoring
            # -- the model service and its container (issue #16, items 1 and 4)
            files.update(_service(plan, files, made.inputs[0]))
            files.update(_monitor(plan))
            files["pyproject.toml"] = _with_extras(
                files["pyproject.toml"], {SERVE_EXTRA: SERVE_REQUIREMENTS}
            )
        files[f"src/{name}/rows.py"] = _format(
            render_template("rows.py.j2", package=name), "rows.py"
        )
        files.update(_checks(plan))
        trust = trust_list(None, [p.statement for p in plan.statements])
        context = artifact_context(
            package=name,
            notebook_name=Path(plan.notebook_path).name,
            notebook_source=_notebook_bytes(plan.notebook_path),
            trust=trust,
            distributions=unpinned(files, name, plan.local.dependency_names),
        )
        files[f"src/{name}/artifact.py"] = _format(
            render_template("artifact.py.j2", **context.values()), "artifact.py"
        )
        files[f"src/{name}/__main__.py"] = _format(
            render_template("__main__.py.j2", package=name, train=True, predict=made.predict),
            "__main__.py",
        )
        files["pyproject.toml"] = _with_scripts(files["pyproject.toml"], name, made)
    files["nb2prod-report.md"] = files["nb2prod-report.md"] + _report_markdown(made)
    report = json.loads(files["nb2prod-report.json"])
    report["production"] = made.to_json()
    files["nb2prod-report.json"] = json.dumps(report, indent=2) + "\n"
    return Package(package.name, files, package.provenance)


def _checks(plan: Plan) -> dict[str, str]:
    """contracts.py, gate.py and monitoring.py of the package.

    The contract of each input frame is learned by `train` from the frame it reads (the
    notebook's own data step, run again) and saved with the model; contracts.py holds the
    rules and the owner's schemas, which win over the learned ones. Profiling at convert
    time would need the data then, and a notebook that makes or downloads its data (the
    demo) has none before it runs; the model's contract must also move when it is retrained
    on new rows (`train --data`), which a schema frozen at convert time would not.
    """
    name = plan.package
    context = contracts_context(
        package=name, notebook_name=Path(plan.notebook_path).name, profiles=()
    )
    return {
        f"src/{name}/contracts.py": _format(
            render_template("contracts.py.j2", **context.values()), "contracts.py"
        ),
        f"src/{name}/gate.py": _format(render_template("gate.py.j2", package=name), "gate.py"),
        f"src/{name}/monitoring.py": _format(
            render_template("monitoring.py.j2", package=name), "monitoring.py"
        ),
    }


def _monitor(plan: Plan) -> dict[str, str]:
    """drift.py (`monitor`), compare.py (`compare-models`) and their generated tests
    (issue #15, items 4 and 5): made with predict, whose batches they read."""
    name = plan.package
    return {
        f"src/{name}/drift.py": _format(render_template("drift.py.j2", package=name), "drift.py"),
        f"src/{name}/compare.py": _format(
            render_template("compare.py.j2", package=name), "compare.py"
        ),
        "tests/test_monitoring.py": _format(
            render_template("test_monitoring.py.j2", package=name), "test_monitoring.py"
        ),
    }


def _service(plan: Plan, files: Mapping[str, str], frame: str) -> dict[str, str]:
    """serve.py, Dockerfile and .dockerignore. The container's Python is the one converting
    (the one the lock file, when there is one, was made with)."""
    lock_file = next((f for f in (PYLOCK, REQUIREMENTS_LOCK) if f in files), None)
    context = service_context(
        package=plan.package,
        notebook_name=Path(plan.notebook_path).name,
        frame=frame,
        python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
        lock_file=lock_file,
    )
    values = context.values()
    return {
        f"src/{plan.package}/serve.py": _format(
            render_template("serve.py.j2", **values), "serve.py"
        ),
        "Dockerfile": render_template("Dockerfile.j2", **values),
        ".dockerignore": render_template("dockerignore.j2", **values),
    }


def _notebook_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:  # an in-memory notebook: its hash is of nothing
        return b""


# -- batch scoring (issue #16, item 5): the extras `batch.py` imports when an engine runs;
# Dask at the versions nb2prod's tests run it with, Spark (tested where Java is) from 3.5.
BATCH_EXTRAS: dict[str, tuple[str, ...]] = {
    "dask": ("dask[dataframe]==2026.8.0", "distributed==2026.8.0"),
    "spark": ("pyspark>=3.5",),
}


def _with_extras(pyproject: str, extras: Mapping[str, Sequence[str]]) -> str:
    """Optional dependencies added to pyproject.toml's table (made before the scripts)."""
    header = "[project.optional-dependencies]\n"
    lines = "".join(
        f"{name} = [{', '.join(json.dumps(r) for r in requirements)}]\n"
        for name, requirements in extras.items()
    )
    if header in pyproject:
        return pyproject.replace(header, header + lines, 1)
    return pyproject.replace("[project.scripts]\n", header + lines + "\n[project.scripts]\n", 1)


# -- end of batch scoring


def _with_scripts(pyproject: str, package: str, made: Production) -> str:
    """The console scripts of train and predict, after the package's own."""
    distribution = package.replace("_", "-")
    line = f'{distribution} = "{package}.__main__:main"\n'
    extra = f'{distribution}-train = "{package}.__main__:train_main"\n'
    if made.predict:
        extra += f'{distribution}-predict = "{package}.__main__:predict_main"\n'
    return pyproject.replace(line, line + extra, 1)


def _report_markdown(made: Production) -> str:
    lines = ["", "## Train and predict", ""]
    if made.train:
        lines.append(
            f"`train.py` fits and saves {', '.join(f'`{n}`' for n in made.fitted)}"
            + (f"; metrics recorded: {', '.join(made.metrics)}" if made.metrics else "")
            + "."
        )
    if made.predict:
        lines.append(f"`predict.py` scores new rows shaped like `{made.inputs[0]}`.")
    else:
        lines.append("No `predict.py`:" if made.train else "No `train.py` or `predict.py`:")
        lines += ["", *(f"- {r}" for r in made.reasons)]
    if made.notes:
        lines += ["", "Notes:", "", *(f"- {n}" for n in made.notes)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Writing the two functions


class _Writer:
    def __init__(self, plan: Plan, boundary: FitBoundary) -> None:
        self.plan = plan
        self.b = boundary
        self.statements = [p.statement for p in plan.statements]
        self.config: dict[tuple[int, int], ConfigField] = {
            (c.cell, c.position): c for c in plan.config
        }
        self.config_by_name = {c.name: c for c in plan.config}
        self.definitions = {d.statement.key: d for d in plan.definitions}
        # statistics training computes too: recorded, and read back by predict
        train = set(boundary.train)
        self.recorded = [s for s in boundary.statistics if s.statement in train]
        # column selections training learns (FitBoundary.learned): name -> statement binding it
        self.learned = {n: i for n, i in boundary.learned if i in train}
        self.keeps = bool(self.recorded or self.learned)  # train saves `_statistics`
        self.metric_names: tuple[str, ...] = ()

    # -- shared

    def _imports(self, extra: Sequence[str], used_definitions: Sequence[str]) -> str:
        package = self.plan.package
        lines = list(dict.fromkeys(s.code.strip() for s in self.plan.imports))
        lines += list(extra)
        by_module: dict[str, list[str]] = {}
        for key in used_definitions:
            d = self.definitions[key]
            by_module.setdefault(d.module, []).append(d.name)
        lines += [
            f"from {package}.{module} import {', '.join(dict.fromkeys(names))}"
            for module, names in sorted(by_module.items())
        ]
        return "\n".join(lines)

    def _kind(self, index: int) -> str:
        """import | config | definition | code"""
        st = self.statements[index]
        body = st.tree.body
        if body and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in body):
            return "import"
        if (st.cell, st.position) in self.config:
            return "config"
        if st.key in self.definitions:
            return "definition"
        return "code"

    def _config_lines(self, indices: Sequence[int], also: Sequence[str] = ()) -> list[str]:
        """`NAME = config.field` for each config field the statements read."""
        read: set[str] = set(also)
        for i in indices:
            st = self.statements[i]
            read |= {r.name for r in st.symbols.uses} | {m.name for m in st.symbols.mutations}
        out = []
        for c in self.plan.config:
            if c.name in read:
                value = f"config.path(config.{c.field})" if c.is_path else f"config.{c.field}"
                out.append(f"{c.name} = {value}")
        return out

    def _nodes(
        self,
        index: int,
        *,
        renames: Mapping[str, str] | None = None,
        statistics: str | None = None,  # "keep" (train) or "read" (predict)
        gate: str | None = None,  # the model whose scoring calls get the matrix gate
    ) -> list[_TopLevel]:
        st = self.statements[index]
        # predict runs its slice's edits; train, the statements that name an object fitted on
        # the spot (`pca = PCA(2)` before `Xr = pca.fit_transform(X)`)
        edits = self.b.edits if renames is not None else self.b.namings
        edit = next((e for e in edits if e.statement == index), None)
        codes = {s.code for s in self.recorded if s.statement == index} if statistics else set()
        scores = gate is not None and _scores(st.tree, gate)
        # train records the columns this statement chooses from the training rows; predict
        # reads them back (FitBoundary.learned)
        kept = [
            _stmt(f"_rows.keep(_statistics, {name!r}, {name})")
            for name, at in self.learned.items()
            if at == index and statistics == "keep"
        ]
        if (
            edit is None
            and not codes
            and not scores
            and not (renames and _reads_any(st.tree, set(renames)))
        ):
            return [*_parsed_statement(st.code), *kept]
        tree = ast.parse(edit.code) if edit is not None else copy.deepcopy(st.tree)
        tree = _Rewrite(renames or {}, codes, statistics or "", gate).visit(tree)
        assert isinstance(tree, ast.Module)
        return [*_parsed_statement(ast.unparse(ast.fix_missing_locations(tree))), *kept]

    def _finish(self, text: str, function: str, nodes: Sequence[_TopLevel], path: str) -> str:
        """Put the nodes in place of the `pass` that ends `function` in the rendered template."""
        module = cst.parse_module(text)
        body = list(module.body)
        for position, node in enumerate(body):
            if isinstance(node, cst.FunctionDef) and node.name.value == function:
                block = node.body
                assert isinstance(block, cst.IndentedBlock)
                inner = [*block.body[:-1], *nodes]
                body[position] = node.with_changes(body=block.with_changes(body=inner))
        code = module.with_changes(body=body).code
        return _format(_prune_imports(code, self.plan.package), path)

    # -- train

    def train(self, *, reference: bool = False) -> str:
        """train.py; `reference`: freeze a sample of the input and predict()'s output on it.

        The statements are cut into steps (train_steps.py): the data step up to the reading
        of the input, the features up to the model's fit, the fit, the metrics, the save."""
        b = self.b
        package = self.plan.package
        train = list(b.train)
        code = [i for i in train if self._kind(i) == "code"]
        definitions = [self.statements[i].key for i in train if self._kind(i) == "definition"]
        reader = b.inputs[0].statement if len(b.inputs) == 1 else None
        last_input = max((inp.statement for inp in b.inputs), default=None)
        groups: list[tuple[str, list[_TopLevel]]] = []

        def add(step: str, *nodes: _TopLevel) -> None:
            if not groups or groups[-1][0] != step:
                groups.append((step, []))
            groups[-1][1].extend(nodes)

        phase = "load_data" if last_input is not None else "prepare"
        add(
            phase,
            _stmt("_files: list[object] = []"),
            _stmt(
                "_read: dict[str, _rows.Snapshot | None] = {}  # input frames as training read them"
            ),
            _stmt("_profiles: dict[str, dict[str, Any]] = {}  # contracts learned of the inputs"),
            _stmt("_columns: dict[str, dict[str, Any]] = {}  # their null rates and categories"),
        )
        if self.keeps:
            add(phase, _stmt("_statistics: dict[str, Any] = {}  # of the training rows"))
        skipped = self._data_only(train, reader) if reader is not None else set()
        if reader is None:
            add(
                phase,
                _stmt(
                    'if _data is not None:\n    raise RowsError(_data, "training reads '
                    + ("several inputs" if b.inputs else "no input file")
                    + ': --data cannot stand for them")\n'
                ),
            )
        metric_names: list[str] = []
        hoisted: list[str] = []
        model = b.fitted[-1]
        matrix = model.inputs[0] if model.inputs else None
        fitted_at = model.fit in code and model.fit not in skipped and model.fit != reader
        for i in code:
            if i in skipped:
                continue
            if i == reader:
                add(phase, *self._reader_block(i, sorted(skipped)))
                if reference:  # the rows as read, before a step changes the frame in place
                    add(phase, _stmt("_reference = _compare.sample(_input, TARGET)"))
                phase = "prepare"
                continue
            if i == model.fit and fitted_at:
                phase = "fit"
            if i in b.metrics and not self.statements[i].symbols.defines:
                lines = self._hoisted_metrics(i, set(metric_names) | set(hoisted))
                if lines:
                    hoisted += [line.split(" = ", 1)[0] for line in lines]
                    add(phase, *[_stmt(line) for line in lines])
                    continue
            add(phase, *self._nodes(i, statistics="keep"))
            if i == model.fit and matrix:  # a later statement may bind the name to other rows
                add(phase, _stmt(f"_matrix = {matrix}  # the rows the model was fitted on"))
            if phase == "fit":
                phase = "evaluate"
            elif phase == "load_data" and reader is None and i == last_input:
                phase = "prepare"
            if i in b.metrics:
                metric_names += [d.name for d in self.statements[i].symbols.defines]
        if reader is None:  # after the notebook's statements, also when no fit was one
            for inp in b.inputs:
                snapshot = f"_read[{inp.name!r}] = _rows.snapshot({inp.name!r}, {inp.name})"
                add("evaluate", _stmt(snapshot))
        metric_names = list(dict.fromkeys([*metric_names, *hoisted]))
        self.metric_names = tuple(metric_names)
        fitted = ", ".join(f"{f.name!r}: {f.name}" for f in b.fitted)
        if self.keeps:
            fitted += ', "statistics": _statistics'
        fitted += ', "baseline": _baseline'
        matrix = "_matrix" if matrix and fitted_at else matrix
        values = self._values()
        scored = next((p.output for p in b.predictions if p.output in values), None)
        evaluate = [
            "_baseline = _monitoring.baseline(\n"
            "    contracts=_profiles,\n"
            "    inputs=_columns,\n"
            f"    matrix={f'_rows.as_frame({matrix})' if matrix else 'None'},\n"
            f"    predictions={scored or 'None'},\n"
            "    target=TARGET,\n"
            ")",
            "_metrics = _rows.metrics({" + ", ".join(f"{n!r}: {n}" for n in metric_names) + "})",
            f"_features = _rows.matrix_columns({matrix})" if matrix else "_features = ()",
            "_snapshots = {n: s for n, s in _read.items() if s is not None}",
            '_baseline["arrays"] = [n for n, s in _snapshots.items() if s.array]',
            "_metadata = _artifact.describe(\n"
            "    config=asdict(config),\n"
            "    metrics=_metrics,\n"
            "    features=_features,\n"
            "    data_files=_rows.files(_files),\n"
            "    frames={n: s.frame for n, s in _snapshots.items()},\n"
            "    inputs={n: s.required(MENTIONED, _features, TARGET) for n, s in _snapshots.items()},\n"
            ")",
        ]
        save = [
            '_root = Path(_artifacts) if _artifacts else Path(config.path("artifacts"))',
            f"_fitted: dict[str, object] = {{{fitted}}}",
            *(self._freeze() if reference and reader is not None else []),
            "_folder = _artifact.save(_fitted, _metadata, _root)",
            "return TrainResult(_folder, _metadata.version, _metrics, {"
            + ", ".join(f"{n!r}: {n}" for n in values)
            + "})",
        ]
        add("evaluate", *[_stmt(line) for line in evaluate])
        add("save", *[_stmt(line) for line in save])
        order = list(STEPS)
        if [order.index(name) for name, _ in groups] != sorted({order.index(n) for n, _ in groups}):
            # the notebook's order does not follow the stages (a fit before the reading):
            # one step runs what comes before the save
            before = [node for name, nodes in groups[:-1] for node in nodes]
            groups = [("fit", before), groups[-1]]
        config_exprs = {
            c.name: f"config.path(config.{c.field})" if c.is_path else f"config.{c.field}"
            for c in self.plan.config
        }
        steps = step_functions([Step(name, tuple(nodes)) for name, nodes in groups], config_exprs)
        target = tuple(b.target.columns) if b.target is not None else ()
        text = render_template(
            "train.py.j2",
            package=package,
            notebook_name=Path(self.plan.notebook_path).name,
            summary=self._summary(),
            fitted=[f.name for f in b.fitted],
            metrics=metric_names,
            target=repr(target),
            mentioned=repr(self._mentioned()),
            data_note=(
                f"it stands for `{b.inputs[0].name}`"
                if reader is not None
                else "not available: the notebook reads no single input"
            ),
            steps=steps,
            given=GIVEN,
            imports=self._imports(
                [
                    "from collections.abc import Callable, Mapping",
                    "from dataclasses import asdict, dataclass, field",
                    "from pathlib import Path",
                    "from typing import Any",
                    f"from {package} import artifact as _artifact",
                    f"from {package} import compare as _compare",
                    f"from {package} import contracts as _contracts",
                    f"from {package} import monitoring as _monitoring",
                    f"from {package} import rows as _rows",
                    f"from {package}.contracts import Mode",
                    f"from {package}.config import Config",
                    f"from {package}.predict import predict as _predict",
                    f"from {package}.rows import RowsError",
                ],
                definitions,
            ),
        )
        return _format(_prune_imports(text, package), "train.py")

    def _freeze(self) -> list[str]:
        """The reference sample scored by predict() with what was just fitted, kept in the
        baseline (compare.py)."""
        names = [  # as predict() names them
            "prediction" if p.statement is None else p.output
            for p in self.b.predictions
            if p.output or p.statement is None
        ]
        return [
            "# the reference sample and predict()'s output on it, for compare-models\n"
            '_baseline["reference"] = _compare.freeze(\n'
            "    _reference,\n"
            "    lambda rows: _predict(\n"
            "        rows,\n"
            "        _artifact.Artifact(_root / _metadata.version, _metadata, _fitted),\n"
            "        config,\n"
            '        source="the reference sample",\n'
            '        contracts="off",\n'
            "        monitoring=None,\n"
            "    ),\n"
            f"    {names!r},\n"
            ")",
        ]

    def _summary(self) -> str:
        b = self.b
        parts = ["the data step", "the features"]
        if b.split:
            parts.append("the split")
        parts.append("the fit")
        if b.metrics:
            parts.append("the metrics")
        return ", ".join(parts)

    def _values(self) -> list[str]:
        """Names of the notebook training binds that checks compare with predict: the held-out
        rows and the predictions made on them."""
        b = self.b
        bound = {d.name for i in b.train for d in self.statements[i].symbols.defines}
        names = [old for old, _ in b.renames] + [p.output for p in b.predictions if p.output]
        return [n for n in dict.fromkeys(names) if n in bound]

    def _data_only(self, train: Sequence[int], reader: int) -> set[int]:
        """Statements before the reader whose only use is making what it reads (the demo's
        generated CSV): skipped when `--data` gives the rows. Empty when they cannot be
        moved together next to the reader."""
        modules: set[str] = {d.name for st in self.plan.imports for d in st.symbols.defines}

        def uses(i: int) -> set[str]:
            sym = self.statements[i].symbols
            return ({r.name for r in sym.uses} | {m.name for m in sym.mutations}) - modules

        def made(i: int) -> set[str]:
            sym = self.statements[i].symbols
            return {d.name for d in sym.defines} | {m.name for m in sym.mutations}

        group = {reader}
        before = [i for i in train if i < reader and self._kind(i) == "code"]
        changed = True
        while changed:
            changed = False
            for i in reversed(before):
                if i in group:
                    continue
                readers = [j for j in train if j > i and made(i) & uses(j)]
                consumed = all(j in group for j in readers)
                # an effect on what the reader reads (`raw.to_csv(DATA_PATH)`)
                effect = not self.statements[i].symbols.defines and bool(
                    uses(i) & set().union(*(uses(g) | made(g) for g in group))
                )
                if consumed and (readers or effect):
                    group.add(i)
                    changed = True
        group.discard(reader)
        # moved next to the reader: no statement in between may change what they read
        if group:
            first = min(group)
            read = set().union(*(uses(g) for g in group))
            if any(read & made(i) for i in before if i > first and i not in group):
                return set()
        return group

    def _reader_block(self, reader: int, group: Sequence[int]) -> list[_TopLevel]:
        name = self.b.inputs[0].name
        path = _path_argument(self.statements[reader])
        notebook: list[_TopLevel] = []
        for i in group:
            notebook += self._nodes(i, statistics="keep")
        notebook += self._nodes(reader, statistics="keep")
        if path is not None:
            notebook.append(_stmt(f"_files.append({path})"))
        given = [_stmt(f"{name} = _rows.read_frame(_data)"), _stmt("_files.append(_data)")]
        skeleton = cst.parse_statement("if _data is None:\n    pass\nelse:\n    pass\n")
        assert isinstance(skeleton, cst.If) and isinstance(skeleton.body, cst.IndentedBlock)
        orelse = skeleton.orelse
        assert isinstance(orelse, cst.Else) and isinstance(orelse.body, cst.IndentedBlock)
        block = skeleton.with_changes(
            body=skeleton.body.with_changes(body=notebook),
            orelse=orelse.with_changes(body=orelse.body.with_changes(body=given)),
        )
        # the snapshot, the contract and the profile follow the reading, before any step
        # changes the frame; a 2-D array is held to them as a frame of columns x0, x1...
        where = f'_data or "{name} as the notebook reads it"'
        return [
            block,
            _stmt(f"_input = _rows.as_frame({name})  # a 2-D array: columns x0, x1..."),
            _stmt(f"_read[{name!r}] = _rows.snapshot({name!r}, {name})"),
            _stmt(f"_rows.checked(_input, {name!r}, _contracts_mode, None, {where})"),
            _stmt(f"_profiles[{name!r}] = _contracts.profile(_input, TARGET)"),
            _stmt(f"_columns[{name!r}] = _monitoring.columns(_input)"),
        ]

    def _hoisted_metrics(self, index: int, taken: set[str]) -> list[str]:
        """`print(f"acc {accuracy_score(y_test, pred)}")` -> `accuracy_score = accuracy_score(...)`
        would shadow; the metric is bound as `accuracy` (the function's name without `_score`)."""
        table = apis()
        modules: dict[str, str] = {}
        for st in self.plan.imports:
            carry_modules(modules, st.symbols)
        fitted = {f.name for f in self.b.fitted}
        lines = []
        found: list[ast.Call] = []
        for node in ast.walk(self.statements[index].tree):
            if not isinstance(node, ast.Call) or any(_inside(node, f) for f in found):
                continue
            dotted = dotted_name(node.func)
            qualified = (qualify(modules, dotted) if dotted else None) or ""
            method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            is_metric = any(qualified.startswith(p) for p in table.metric_functions) or (
                method in table.metric_methods
                and isinstance(receiver, ast.Name)
                and receiver.id in fitted
            )
            if not is_metric:
                continue
            found.append(node)
            base = (qualified.rsplit(".", 1)[-1] or method).removesuffix("_score") or "score"
            name, n = base, 2
            while name in taken or name in self.config_by_name:
                name, n = f"{base}_{n}", n + 1
            taken.add(name)
            lines.append(f"{name} = {ast.unparse(node)}")
        return lines

    def _mentioned(self) -> tuple[str, ...]:
        """String constants the predict slice (its definitions and config lists included) names."""
        found: dict[str, None] = {}
        for i in self.b.predict:
            for node in ast.walk(self.statements[i].tree):
                text = node.value if isinstance(node, ast.Constant) else None
                if isinstance(text, str) and 0 < len(text) <= 200 and "\n" not in text:
                    found.setdefault(text, None)
        return tuple(sorted(found))

    # -- predict

    def predict(self) -> str:
        b = self.b
        package = self.plan.package
        renames = dict(b.renames)
        slice_ = list(b.predict)
        code = [i for i in slice_ if self._kind(i) == "code"]
        definitions = [self.statements[i].key for i in slice_ if self._kind(i) == "definition"]
        name = b.inputs[0].name
        nodes: list[_TopLevel] = []
        for f in b.fitted:
            nodes.append(_stmt(f"{f.name}: Any = artifact.objects[{f.name!r}]"))
        if self.keeps:
            nodes.append(_stmt('_statistics: Any = _rows.restored(artifact.objects["statistics"])'))
        for learned in self.learned:  # chosen from the training rows, never from the batch
            nodes.append(_stmt(f"{learned} = _statistics[{learned!r}]"))
        nodes += [_stmt(line) for line in self._config_lines(code)]
        nodes.append(_stmt("_scored = frame  # the rows as given, for the output"))
        # the value the steps took in training: the frame, or the array its columns were
        nodes.append(
            _stmt(
                f"{name} = _rows.given(frame, artifact.metadata.inputs.get({name!r}, ()),"
                f' {name!r} in _baseline.get("arrays", ()))'
            )
        )
        outputs: list[str] = []
        model = b.fitted[-1].name
        for i in code:
            nodes += self._nodes(i, renames=renames, statistics="read", gate=model)
        for p in b.predictions:
            if p.statement is None:  # the notebook never scored held-out rows
                nodes.append(_stmt(f"prediction = {p.fitted}.{p.method}(_gate({p.matrix}))"))
                outputs.append("prediction")
            elif p.output:
                outputs.append(p.output)
        business = [
            d.name
            for i in b.business
            for d in self.statements[i].symbols.defines
            if d.name not in outputs
        ]
        business = list(dict.fromkeys(business))
        nodes.append(
            _stmt(
                "_output = output(_scored, {"
                + ", ".join(f"{n!r}: {n}" for n in outputs)
                + "}, {"
                + ", ".join(f"{n!r}: {n}" for n in business)
                + "})"
            )
        )
        shown = outputs[0] if outputs else "None"
        nodes.append(
            _stmt(
                "if monitoring is not None:\n"
                f"    _rows.monitor(_baseline, frame, {name!r}, _gate.last, {shown}, _violations,"
                " artifact.metadata.version, config.path(monitoring))\n"
            )
        )
        nodes.append(_stmt("return _output"))
        text = render_template(
            "predict.py.j2",
            package=package,
            notebook_name=Path(self.plan.notebook_path).name,
            fitted=[f.name for f in b.fitted],
            input=name,
            outputs=outputs or ["none"],
            notes=["- " + _where(p) for p in b.problems if not p.blocking],
            imports=self._imports(
                [
                    "from typing import Any",
                    "import pandas as pd",
                    f"from {package} import rows as _rows",
                    f"from {package}.artifact import Artifact",
                    f"from {package}.config import Config",
                    f"from {package}.contracts import Mode",
                    f"from {package}.rows import check_input, output, recorded_config",
                ],
                definitions,
            ),
        )
        return self._finish(text, "predict", nodes, "predict.py")


def _stmt(code: str) -> _TopLevel:
    parsed = _parsed_statement(code)
    assert len(parsed) == 1, code
    return parsed[0]


def _is_score(node: ast.Call, model: str) -> bool:
    """`model.predict_proba(X)` and the like: a call of the model on a matrix."""
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in MODEL_CALLS
        and isinstance(func.value, ast.Name)
        and func.value.id == model
        and bool(node.args)
        and not isinstance(node.args[0], ast.Starred)
    )


def _scores(tree: ast.AST, model: str) -> bool:
    return any(isinstance(n, ast.Call) and _is_score(n, model) for n in ast.walk(tree))


def _reads_any(tree: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(tree))


def _inside(node: ast.AST, outer: ast.AST) -> bool:
    return node is not outer and any(n is node for n in ast.walk(outer))


def _path_argument(statement: Statement) -> str | None:
    """The path a reading statement reads (`DATA_PATH` of `pd.read_csv(DATA_PATH)`), when it is
    a plain expression (a name, a string, a path join), else None."""
    for node in ast.walk(statement.tree):
        if isinstance(node, ast.Call) and node.args:
            first = node.args[0]
            calls = [n for n in ast.walk(first) if isinstance(n, ast.Call)]
            if all(
                (dotted_name(c.func) or "").endswith(("path.join", "Path")) for c in calls
            ) and isinstance(first, (ast.Name, ast.Constant, ast.JoinedStr, ast.BinOp, ast.Call)):
                if isinstance(first, ast.Constant) and not isinstance(first.value, str):
                    continue
                return ast.unparse(first)
    return None


class _Rewrite(ast.NodeTransformer):
    """Held-out names to the slice's (`X_test` -> `X`), and statistics recorded (train) or
    read back (predict)."""

    def __init__(
        self, renames: Mapping[str, str], statistics: set[str], mode: str, gate: str | None
    ) -> None:
        self.renames = renames
        self.statistics = statistics
        self.mode = mode
        self.gate = gate

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.renames:
            return ast.copy_location(ast.Name(self.renames[node.id], node.ctx), node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        code = ast.unparse(node) if self.statistics else ""
        if code in self.statistics:
            key = ast.Constant(code)
            if self.mode == "keep":
                keep = ast.Attribute(ast.Name("_rows", ast.Load()), "keep", ast.Load())
                new: ast.expr = ast.Call(keep, [ast.Name("_statistics", ast.Load()), key, node], [])
            else:
                new = ast.Subscript(ast.Name("_statistics", ast.Load()), key, ast.Load())
            return ast.copy_location(new, node)
        self.generic_visit(node)
        if self.gate is not None and _is_score(node, self.gate):
            gated = ast.Call(ast.Name("_gate", ast.Load()), [node.args[0]], [])
            node.args = [ast.copy_location(gated, node.args[0]), *node.args[1:]]
        return node
