"""One convert or verify job, run in its own process by the server extension.

    python -m nb2prod_lab.runner '{"kind": "convert", "notebook": "dir/nb.ipynb", "out": null,
                                   "verify": true, "force": false}'
    python -m nb2prod_lab.runner '{"kind": "verify", "notebook": "dir/nb.ipynb", "package": "dir/nb"}'

Paths are relative to the working directory (the server's root). The runner reports on its
standard output, one JSON object a line: `{"event": "progress", "done", "total", "stage"}`,
then exactly one of `{"event": "result", "result": {...}}` or `{"event": "error", "message"}`.
Anything else the libraries print goes to standard error, so it cannot corrupt that stream.

It calls the library API the CLI calls (`nb2prod.api.convert_and_verify`, `nb2prod.api.verify`)
and builds the result from the values it returns. SIGTERM unwinds the run (`nb2prod.api.session`:
kernels stopped, temporary folders removed); when the server that started it goes away, it
stops itself.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from nb2prod import api
from nb2prod_lab.artifacts import artifact_document

Emit = Callable[[dict[str, Any]], None]
NOT_VERIFIED = "not-verified"  # the verdict of a convert job run with "verify": false


class Refused(Exception):
    """The library said no; the message names the file (and cell), as the CLI prints it."""

    def __init__(self, failed: api.Failed) -> None:
        super().__init__(api.describe(failed))
        self.internal = failed.kind == api.INTERNAL


def _emitter(stream: IO[str]) -> Emit:
    lock = threading.Lock()

    def emit(event: dict[str, Any]) -> None:
        with lock:
            stream.write(json.dumps(event) + "\n")
            stream.flush()

    return emit


def _stage(emit: Emit, stage: str, done: int = 0, total: int = 0) -> None:
    emit({"event": "progress", "done": done, "total": total, "stage": stage})


def _progress(emit: Emit) -> api.OnProgress:
    def progress(event: api.Progress) -> None:
        if event.stage is not api.Stage.WRITTEN:  # not a stage of the HTTP API (API.md)
            _stage(emit, event.stage.value, event.done, event.total)

    return progress


def package_files(out_dir: Path) -> list[str]:
    """Every file of the package folder, hidden files and caches left out, sorted."""
    found = []
    for folder, dirs, files in os.walk(out_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        found += [str(Path(folder) / f) for f in sorted(files) if not f.startswith(".")]
    return found


def _verification(v: api.Verification) -> dict[str, Any]:
    """The verdicts, the first divergence and the findings of a verification, as JSON."""
    first = None
    function, value = v.first_divergence, v.first_difference
    if function is not None:
        first = {
            "function": function.function,
            "variable": value.name if value else None,
            "detail": value.detail if value else "",
        }
    return {
        "verdict": str(v.verdict),
        "functions": [
            {"function": f.function, "module": f.module, "verdict": str(f.verdict)}
            for f in v.functions
        ],
        "first_divergence": first,
        "findings": [f.to_json() for f in v.findings],
        # predict() on the rows the notebook scored; null: the notebook fits no model
        "predict": v.predict.to_json() if v.predict is not None else None,
    }


def _production(notebook: str, package_dir: Path, package: str) -> dict[str, Any]:
    """What convert made of train and predict (and why not), and the package's artifact: the
    newest one `train` saved, or the command that saves one (the lab never trains by itself)."""
    made = api.production(package_dir)
    artifact = None
    if made is not None and made.train:
        root = Path.cwd().resolve()  # the server's root: the runner runs there
        artifact = artifact_document(
            root, (root / notebook).resolve(), (root / package_dir).resolve(), package
        )
    return {"production": made.to_json() if made is not None else None, "artifact": artifact}


def _result(out_dir: Path, verdicts: dict[str, Any], run_page: Path | None) -> dict[str, Any]:
    return {
        "out_dir": str(out_dir),
        "files": package_files(out_dir),
        "report": str(out_dir / api.REPORT),
        "run_page": str(run_page) if run_page else None,
        **verdicts,
    }


def _verified(result: api.VerifyResult) -> dict[str, Any]:
    if isinstance(result, api.Failed):
        raise Refused(result)
    if isinstance(result, api.NotConverted):
        raise Refused(result.refusal)
    assert result.package_dir is not None  # the job names the package folder
    return {
        **_result(result.package_dir, _verification(result.verification), result.run_page),
        **_production(result.notebook, result.package_dir, result.plan.package),
    }


def run(spec: dict[str, Any], emit: Emit) -> dict[str, Any]:
    """Run one job; return its result, or raise Refused with the user's message."""
    notebook = spec["notebook"]
    timeout = float(spec.get("timeout") or 600)
    if spec["kind"] == "verify":
        _stage(emit, "starting")
        options = api.VerifyOptions(timeout=timeout, progress=_progress(emit))
        return _verified(api.verify(notebook, Path(spec["package"]).resolve(), options))

    convert = api.ConvertOptions(
        force=bool(spec.get("force")), timeout=timeout, progress=_progress(emit)
    )
    if not spec.get("verify", True):
        converted = api.convert(notebook, spec.get("out"), convert)
        if isinstance(converted, api.Failed):
            raise Refused(converted)
        functions = [
            {"function": f.name, "module": f.module, "verdict": NOT_VERIFIED}
            for f in converted.plan.functions
        ]
        verdicts = {
            "verdict": NOT_VERIFIED,
            "functions": functions,
            "first_divergence": None,
            "findings": [],
            "predict": None,  # not verified: nothing ran
        }
        return {
            **_result(converted.out_dir, verdicts, None),
            **_production(notebook, converted.out_dir, converted.plan.package),
            "warnings": list(converted.plan.warnings),
        }
    both = api.convert_and_verify(notebook, spec.get("out"), convert)
    if isinstance(both, api.Failed):
        raise Refused(both)
    return {**_verified(both.verified), "warnings": list(both.converted.plan.warnings)}


def _watch_parent(parent: int) -> None:
    """Stop (as if cancelled) when the server that started us is gone, even after a SIGKILL."""
    while os.getppid() == parent:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # The protocol gets a private copy of stdout; fd 1 becomes stderr for everything else.
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    emit = _emitter(protocol)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    try:
        spec = json.loads(args[0])
        # as the CLI runs convert/verify: SIGTERM stops the runs and unwinds, and no process
        # started inside (kernel, package run, pinning query) outlives it
        with api.session():
            result = run(spec, emit)
        emit({"event": "result", "result": result})
        return 0
    except Refused as exc:
        emit({"event": "error", "message": str(exc)})
        return 3 if exc.internal else 2
    except KeyboardInterrupt:
        emit({"event": "error", "message": "cancelled"})
        return 130


if __name__ == "__main__":
    sys.exit(main())
