"""One convert or verify job, run in its own process by the server extension.

    python -m nb2prod_lab.runner '{"kind": "convert", "notebook": "dir/nb.ipynb", "out": null,
                                   "verify": true, "force": false}'
    python -m nb2prod_lab.runner '{"kind": "verify", "notebook": "dir/nb.ipynb", "package": "dir/nb"}'

Paths are relative to the working directory (the server's root). The runner reports on its
standard output, one JSON object a line: `{"event": "progress", "done", "total", "stage"}`,
then exactly one of `{"event": "result", "result": {...}}` or `{"event": "error", "message"}`.
Anything else the libraries print goes to standard error, so it cannot corrupt that stream.

It calls what the CLI calls (`nb2prod.convert.build.convert`, `nb2prod.cli.verify.verify_one`) and
reads the verification back from the reports verify_one wrote. SIGTERM unwinds the run
(`nb2prod.verify.execute.contained_session`: kernels stopped, temporary folders removed); when the
server that started it goes away, it stops itself.
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

Emit = Callable[[dict[str, Any]], None]


def _emitter(stream: IO[str]) -> Emit:
    lock = threading.Lock()

    def emit(event: dict[str, Any]) -> None:
        with lock:
            stream.write(json.dumps(event) + "\n")
            stream.flush()

    return emit


def _progress(emit: Emit, stage: str) -> Callable[[int, int], None]:
    return lambda done, total: emit(
        {"event": "progress", "done": done, "total": total, "stage": stage}
    )


def package_files(out_dir: Path) -> list[str]:
    """Every file of the package folder, hidden files and caches left out, sorted."""
    found = []
    for folder, dirs, files in os.walk(out_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        found += [str(Path(folder) / f) for f in sorted(files) if not f.startswith(".")]
    return found


def _verification(out_dir: Path) -> dict[str, Any]:
    """The verification verify_one wrote into the package's nb2prod-report.json."""
    report = json.loads((out_dir / "nb2prod-report.json").read_text("utf-8"))["verification"]
    first = None
    for function in report["functions"]:
        if function["verdict"] == "differs":
            value = next((v for v in function["values"] if v["verdict"] == "differs"), None)
            first = {
                "function": function["function"],
                "variable": value["name"] if value else None,
                "detail": value["detail"] if value else "",
            }
            break
    return {
        "verdict": report["verdict"],
        "functions": [
            {"function": f["function"], "module": f["module"], "verdict": f["verdict"]}
            for f in report["functions"]
        ],
        "first_divergence": first,
        "findings": report["findings"],
    }


def _result(out_dir: Path, verification: dict[str, Any]) -> dict[str, Any]:
    return {
        "out_dir": str(out_dir),
        "files": package_files(out_dir),
        "report": str(out_dir / "nb2prod-report.md"),
        **verification,
    }


def _verify(notebook: str, out_dir: Path, timeout: float, emit: Emit) -> dict[str, Any]:
    from nb2prod.cli.verify import EXIT_FOR_VERDICT, verify_one

    code, text = verify_one(
        notebook,
        str(out_dir),
        None,
        timeout,
        True,
        False,
        progress=_progress(emit, "running the notebook and the package"),
    )
    if code not in EXIT_FOR_VERDICT.values():
        raise _Refused(text.splitlines()[0].removeprefix("nb2prod: ").removeprefix("error: "))
    return _result(out_dir, _verification(out_dir))


class _Refused(Exception):
    """verify_one said no (its message is already one line naming the file and cell)."""


def run(spec: dict[str, Any], emit: Emit) -> dict[str, Any]:
    """Run one job; return its result, or raise InputError / _Refused with the user's message."""
    notebook = spec["notebook"]
    timeout = float(spec.get("timeout") or 600)
    if spec["kind"] == "verify":
        emit({"event": "progress", "done": 0, "total": 0, "stage": "starting"})
        return _verify(notebook, Path(spec["package"]).resolve(), timeout, emit)

    from nb2prod.convert.build import convert
    from nb2prod.core.config import config_for

    emit({"event": "progress", "done": 0, "total": 0, "stage": "converting"})
    converted = convert(
        notebook,
        spec.get("out"),
        force=bool(spec.get("force")),
        role_overrides=config_for(notebook).roles,
    )
    out_dir = Path(converted.out_dir)
    if not spec.get("verify", True):
        functions = [
            {"function": f.name, "module": f.module, "verdict": "not-verified"}
            for f in converted.plan.functions
        ]
        return {
            **_result(
                out_dir,
                {
                    "verdict": "not-verified",
                    "functions": functions,
                    "first_divergence": None,
                    "findings": [],
                },
            ),
            "warnings": list(converted.plan.warnings),
        }
    result = _verify(notebook, out_dir, timeout, emit)
    return {**result, "warnings": list(converted.plan.warnings)}


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
    from nb2prod.core.errors import InputError, InternalError
    from nb2prod.verify.execute import contained_session

    try:
        spec = json.loads(args[0])
        # as the CLI runs convert/verify: SIGTERM stops the runs and unwinds, and no process
        # started inside (kernel, package run, pinning query) outlives it
        with contained_session():
            result = run(spec, emit)
        emit({"event": "result", "result": result})
        return 0
    except (InputError, _Refused) as exc:
        emit({"event": "error", "message": str(exc)})
        return 2
    except InternalError as exc:
        emit({"event": "error", "message": str(exc)})
        return 3
    except KeyboardInterrupt:
        emit({"event": "error", "message": "cancelled"})
        return 130


if __name__ == "__main__":
    sys.exit(main())
