"""`pin --check`: build a clean virtual environment from the pins and import what the notebook imports.

Plain `python -m venv` and `pip install` with the machine's own pip configuration
(index, proxies, certificates), so the check sees what a production build would.
Slow (a venv and a download per run), hence opt-in.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from nb2prod.pin.model import ImportUse, PinResult

INSTALL_TIMEOUT = 1800.0  # seconds for pip; big wheels (torch) on a slow link take minutes
IMPORT_TIMEOUT = 600.0
_NOT_CHECKED = frozenset({"relative", "future", "stdlib", "python2-stdlib", "local"})

# Runs inside the new venv: replay each import as the notebook wrote it. `from a import b`
# imports `a`, then `a.b` only when `b` is not an attribute, as the import statement does.
_IMPORTER = r"""
import importlib, json, sys
failures = {}
for module, member in json.loads(sys.stdin.read()):
    key = module + ("." + member if member else "")
    try:
        mod = importlib.import_module(module)
        if member and member != "*" and not hasattr(mod, member):
            importlib.import_module(module + "." + member)
    except BaseException as exc:  # SystemExit and friends from odd packages count as failures too
        failures[key] = "%s: %s" % (type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "")
json.dump(failures, sys.stdout)
"""


@dataclass(frozen=True, slots=True)
class InstallFailure:
    requirement: str
    message: str  # pip's last error lines


@dataclass(frozen=True, slots=True)
class ImportFailure:
    module: (
        str  # as imported: "sklearn.model_selection" or "sklearn.model_selection.train_test_split"
    )
    cell: int | None
    cell_id: str | None
    line: int
    error: str


@dataclass(frozen=True, slots=True)
class VenvCheck:
    python: str
    venv_error: str | None  # the venv itself could not be created
    install_failures: tuple[InstallFailure, ...]
    import_failures: tuple[ImportFailure, ...]
    checked: int  # imports tried
    seconds: float

    @property
    def ok(self) -> bool:
        return self.venv_error is None and not self.install_failures and not self.import_failures


def _run(
    argv: list[str], timeout: float, cwd: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env["MPLBACKEND"] = "Agg"  # importing pyplot must not try to open a window
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        check=False,
    )


def _tail(text: str, lines: int = 3) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in kept if line.startswith("ERROR")]
    return " | ".join((errors or kept)[-lines:]) or "no message"


def checked_imports(result: PinResult) -> list[ImportUse]:
    """The third-party imports to replay: everything not excluded as stdlib, local or relative."""
    skip = {e.module for e in result.excluded if e.reason in _NOT_CHECKED}
    seen: set[tuple[str, str | None]] = set()
    out = []
    for use in result.imports:
        key = (use.module, use.name)
        if use.level or not use.top or use.top in skip or key in seen:
            continue
        seen.add(key)
        out.append(use)
    return out


def check_in_clean_venv(
    result: PinResult, python: str | None = None, *, workdir: str | None = None
) -> VenvCheck:
    """Create a venv with `python` (default: the interpreter analysed), install the pins, import."""
    started = time.monotonic()
    python = python or result.environment.python
    requirements = list(result.requirements)
    uses = checked_imports(result)
    with tempfile.TemporaryDirectory(prefix="nb2prod-pin-check-", dir=workdir) as tmp:
        venv = Path(tmp, "venv")
        try:
            made = _run([python, "-m", "venv", str(venv)], INSTALL_TIMEOUT, tmp)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return VenvCheck(
                python, f"python -m venv failed: {exc}", (), (), 0, time.monotonic() - started
            )
        if made.returncode != 0:
            return VenvCheck(
                python,
                f"python -m venv failed: {_tail(made.stderr or made.stdout)}",
                (),
                (),
                0,
                time.monotonic() - started,
            )
        venv_python = str(venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
        failures = _install(venv_python, requirements, tmp)
        try:
            done = _run(
                [venv_python, "-I", "-c", _IMPORTER],
                IMPORT_TIMEOUT,
                tmp,
                stdin=json.dumps([[u.module, u.name] for u in uses]),
            )
            errors: dict[str, str] = (
                json.loads(done.stdout)
                if done.returncode == 0
                else {"(all)": f"the import check itself failed: {_tail(done.stderr)}"}
            )
        except subprocess.TimeoutExpired:
            errors = {"(all)": f"importing took longer than {IMPORT_TIMEOUT:.0f} s"}
        except json.JSONDecodeError:
            errors = {"(all)": "the import check printed something unexpected"}
    import_failures = []
    for use in uses:
        key = use.module + ("." + use.name if use.name else "")
        if key in errors:
            import_failures.append(
                ImportFailure(key, use.cell, use.cell_id, use.line, errors.pop(key))
            )
    import_failures.extend(ImportFailure(k, None, None, 1, v) for k, v in errors.items())
    return VenvCheck(
        python, None, tuple(failures), tuple(import_failures), len(uses), time.monotonic() - started
    )


def _install(venv_python: str, requirements: list[str], cwd: str) -> list[InstallFailure]:
    """All pins at once; when pip refuses, each alone, so every failing pin is named."""
    if not requirements:
        return []
    base = [venv_python, "-m", "pip", "install", "--no-input", "--quiet"]
    try:
        together = _run([*base, *requirements], INSTALL_TIMEOUT, cwd)
    except subprocess.TimeoutExpired:
        return [
            InstallFailure(" ".join(requirements), f"pip took longer than {INSTALL_TIMEOUT:.0f} s")
        ]
    if together.returncode == 0:
        return []
    failures = []
    for requirement in requirements:
        try:
            alone = _run([*base, requirement], INSTALL_TIMEOUT, cwd)
        except subprocess.TimeoutExpired:
            failures.append(
                InstallFailure(requirement, f"pip took longer than {INSTALL_TIMEOUT:.0f} s")
            )
            continue
        if alone.returncode != 0:
            failures.append(InstallFailure(requirement, _tail(alone.stderr or alone.stdout)))
    if not failures:  # each installs alone, but not together: a conflict between pins
        failures.append(
            InstallFailure(" ".join(requirements), _tail(together.stderr or together.stdout))
        )
    return failures
