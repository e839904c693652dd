"""The generated package's dependencies: what its code imports, pinned, and the lock file.

Direct requirements come from the code actually written, never from the notebook's kernel:
the absolute imports of every module under `src/<package>/` (the vendored `_vendor/` ones
included), minus the package itself, the standard library and path dependencies. Each import
is mapped to its distribution and pinned by `nb2prod pin` (its mapping, its evidence and its
precedence), so IPython, ipykernel, rich or matplotlib-inline, which only the kernel loaded,
are never listed. The one other source is a distribution the notebook installed without
importing it (openpyxl for `pandas.read_excel`): kept, unless it is part of the kernel.

The lock is the dependency closure of the direct requirements in the analysed environment
(its `Requires-Dist`, markers evaluated as that interpreter would), at the versions installed
there. `lock()` writes it as PEP 751 `pylock.toml` with `pip lock`, which takes the wheels'
hashes from the package index; without pip >= 25.1 or without the index it writes a
`requirements.lock` of exact pins and says why it has no hashes (hashes are of the wheel
files, which an installed environment does not keep).
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508
from packaging.version import InvalidVersion, Version

from nb2prod.core.errors import InternalError, PythonBroken, PythonNotFound
from nb2prod.notebook.model import Notebook
from nb2prod.pin.environment import Environment, ask_interpreter, canonical, environment_for
from nb2prod.pin.fuse import pin_notebook
from nb2prod.pin.mapping import LocalModules, resolve, table
from nb2prod.pin.model import EvidenceKind, Pin, PinResult
from nb2prod.pin.versions import same_version

# The imports that make an IPython kernel. A distribution in their closure, or one that needs
# them, serves the notebook's kernel; it is listed only when the generated code imports it.
KERNEL_IMPORTS = ("IPython", "ipykernel")

PYLOCK = "pylock.toml"
REQUIREMENTS_LOCK = "requirements.lock"
PIP_LOCK_SINCE = Version("25.1")  # `pip lock` (experimental) writes pylock.toml
PIP_INSTALL_PYLOCK_SINCE = "26.1"  # `pip install -r pylock.toml` (experimental) reads it
LOCK_TIMEOUT = 600.0  # seconds for `pip lock`: it reads the index for every locked distribution


@dataclass(frozen=True, slots=True)
class Requirement:
    """One distribution the package's pyproject.toml lists, pinned, and why it is there."""

    name: str  # as the environment spells it
    specifier: str  # "==2.4.6"; a range the notebook asked for; "" when no version is known
    why: tuple[str, ...]  # "credit_approval.model imports sklearn", "cell 3: %pip install x"
    extras: tuple[str, ...] = ()

    @property
    def requirement(self) -> str:
        """The PEP 508 string: `name[extras]==version`."""
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"

    @property
    def version(self) -> str | None:
        return self.specifier[2:] if self.specifier.startswith("==") else None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "requirement": self.requirement,
            "specifier": self.specifier,
            "extras": list(self.extras),
            "why": list(self.why),
        }


@dataclass(frozen=True, slots=True)
class Locked:
    """One distribution of the full environment: the direct requirements and what they need."""

    name: str
    version: str | None  # None: required but not installed where analysed
    direct: bool
    required_by: tuple[str, ...]  # the locked distributions that require it

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "direct": self.direct,
            "required_by": list(self.required_by),
        }


@dataclass(frozen=True, slots=True)
class Unmapped:
    """A module the code imports that no distribution provides (a local module, an unknown name)."""

    module: str
    reason: str  # "local" (beside the notebook, not vendored) or "unknown" (NB201)
    importers: tuple[str, ...]  # the package's modules that import it

    def to_json(self) -> dict[str, object]:
        return {"module": self.module, "reason": self.reason, "importers": list(self.importers)}


@dataclass(frozen=True, slots=True)
class Dependencies:
    """What the generated package needs: its direct requirements and its full environment."""

    direct: tuple[Requirement, ...]  # sorted by name
    environment: tuple[Locked, ...]  # the closure of `direct`, sorted by name
    unmapped: tuple[Unmapped, ...]
    python: str  # the interpreter analysed
    python_version: str
    notes: tuple[str, ...] = ()  # what the lock cannot honour exactly, said plainly

    @property
    def requirements(self) -> tuple[str, ...]:
        return tuple(r.requirement for r in self.direct)

    def to_json(self) -> dict[str, object]:
        return {
            "python": self.python,
            "python_version": self.python_version,
            "direct": [r.to_json() for r in self.direct],
            "environment": [e.to_json() for e in self.environment],
            "unmapped": [u.to_json() for u in self.unmapped],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class Metadata:
    """Every installed distribution's `Requires-Dist`, and the marker values, of one interpreter."""

    requires: Mapping[str, tuple[str, ...]]  # canonical name -> Requires-Dist strings
    markers: Mapping[str, str]  # PEP 508 marker variables (python_version, sys_platform, ...)


@dataclass(frozen=True, slots=True)
class LockFile:
    """The lock file to write beside pyproject.toml, and how it was made."""

    name: str  # PYLOCK or REQUIREMENTS_LOCK
    text: str
    hashed: bool  # every artifact carries its hash
    note: str  # how it was made, or why it is not a hashed pylock.toml


# -- the imports of the generated code


# Modules of the generated package whose libraries go to an optional extra.
OPTIONAL_MODULES = frozenset({"serve.py", "batch.py"})


def imported_modules(files: Mapping[str, str], package: str) -> dict[str, tuple[str, ...]]:
    """Top-level name -> the package modules importing it, from every `.py` file of the package.

    Relative imports (the vendored modules' own) and the package itself are left out.
    """
    root = f"src/{package}/"
    found: dict[str, dict[str, None]] = {}
    for path in sorted(files):
        if not (path.startswith(root) and path.endswith(".py")):
            continue
        if path[len(root) :] in OPTIONAL_MODULES:
            continue  # its libraries are an extra (`pip install pkg[serve]`), not a requirement
        module = path[len("src/") : -len(".py")].replace("/", ".").removesuffix(".__init__")
        try:
            tree = ast.parse(files[path], filename=path)
        except SyntaxError as exc:  # the static check parses every file before this runs
            raise InternalError(f"generated file {path} does not parse: {exc}") from None
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top != package:
                    found.setdefault(top, {})[module] = None
    return {top: tuple(modules) for top, modules in sorted(found.items())}


def unpinned(
    files: Mapping[str, str], package: str, path_dependencies: Collection[str] = ()
) -> list[str]:
    """Distribution names, unpinned, for what the package's code imports (`--no-pin`: no
    environment is queried, so names come from nb2prod's table, else the import name)."""
    names: dict[str, None] = {}
    for top in imported_modules(files, package):
        if top in sys.stdlib_module_names or top == "__future__" or top in path_dependencies:
            continue
        names.setdefault(table().lookup(top) or top, None)
    return sorted(names, key=canonical)


# -- mapping and pinning


def package_dependencies(
    files: Mapping[str, str],
    package: str,
    pins: PinResult,
    env: Environment,
    metadata: Metadata,
    *,
    path_dependencies: Collection[str] = (),
    runtime_modules: Iterable[str] = (),
) -> Dependencies:
    """The package's dependencies, from its files, the notebook's pins and the environment.

    `path_dependencies` are the top-level names of local packages required by path (they are
    in pyproject.toml already). `runtime_modules` are modules the generated package's own run
    imported (not the notebook kernel's): a distribution among them that no direct requirement
    brings in is used indirectly, and is listed too.
    """
    tbl = table()
    nowhere = LocalModules(())
    by_top = {top: pin for pin in pins.pins for top in pin.imports}
    local_tops = {e.module for e in pins.excluded if e.reason == "local"}
    builders: dict[str, _Direct] = {}
    unmapped: list[Unmapped] = []

    def add(name: str, pin: Pin | None, why: str) -> None:
        key = canonical(name)
        if key not in builders:
            builders[key] = _Direct(env.name_of(name) or name, pin)
        builders[key].why.setdefault(" ".join(why.split()), None)  # one line: a TOML comment

    for top, importers in imported_modules(files, package).items():
        if top in path_dependencies:
            continue
        why = f"{', '.join(importers)} import{'s' if len(importers) == 1 else ''} {top}"
        pin = by_top.get(top)
        if pin is not None:
            add(pin.distribution, pin, why)
            continue
        if top in local_tops:  # beside the notebook and not vendored: nothing installs it
            unmapped.append(Unmapped(top, "local", importers))
            continue
        found = resolve(top, 0, env, nowhere, tbl)
        if found.status == "distribution":
            add(found.distributions[0], None, why)
        elif found.status == "unknown":
            unmapped.append(Unmapped(top, "unknown", importers))
    code_roots = {key: b.extras for key, b in builders.items()}

    kernel = _kernel_side(env, metadata)
    needed, _ = _closure(code_roots, env, metadata)
    indirect: list[tuple[str, Pin | None, str]] = []
    for pin in pins.pins:
        if pin.imports:
            continue  # an import of the notebook's: listed only if the code kept it (above)
        install = next((e for e in pin.evidence if e.kind is EvidenceKind.INSTALL), None)
        if install is not None:
            why = f"cell {install.cell}: {install.detail} (not imported: used indirectly)"
            indirect.append((pin.distribution, pin, why))
    for module in sorted(set(runtime_modules)):
        top = module.split(".")[0]
        if top == package or top in path_dependencies:
            continue
        found = resolve(top, 0, env, nowhere, tbl)
        if found.status == "distribution":
            name = found.distributions[0]
            why = f"{top} imported during the package's run (used indirectly)"
            indirect.append((name, by_top.get(top), why))
    for name, pin, why in indirect:
        key = canonical(name)
        if key in needed or key in kernel:
            continue
        add(name, pin, why)

    direct = tuple(sorted((b.requirement(env) for b in builders.values()), key=_sort_key))
    roots = {canonical(r.name): r.extras for r in direct}
    parents, missing = _closure(roots, env, metadata)
    environment = tuple(
        sorted(
            (
                Locked(
                    env.name_of(key) or _spelling(key, direct),
                    env.version_of(key),
                    key in roots,
                    tuple(sorted(parents[key], key=str.lower)),
                )
                for key in parents
            ),
            key=lambda locked: canonical(locked.name),
        )
    )
    notes = [
        f"{r.name}{r.specifier} is pinned from the notebook's evidence, but {env.python} has "
        f"{installed}: the versions of what it requires are not known here"
        for r in direct
        if r.version is not None
        and (installed := env.version_of(r.name)) is not None
        and not same_version(r.version, installed)
    ]
    notes += [f"{name} is required but not installed in {env.python}" for name in missing]
    notes += [
        f"{r.name} serves the notebook's kernel, yet the code imports it ({'; '.join(r.why)}): "
        "is that display code the package needs?"
        for r in direct
        if canonical(r.name) in kernel
    ]
    return Dependencies(direct, environment, tuple(unmapped), env.python, env.version, tuple(notes))


class _Direct:
    """Mutable only while one package's requirements are gathered."""

    def __init__(self, name: str, pin: Pin | None) -> None:
        self.name = name
        self.pin = pin
        self.why: dict[str, None] = {}

    @property
    def extras(self) -> tuple[str, ...]:
        return self.pin.extras if self.pin is not None else ()

    def requirement(self, env: Environment) -> Requirement:
        pin = self.pin
        if pin is not None and pin.version is not None:
            specifier = f"=={pin.version}"
        elif pin is not None and pin.specifier:
            specifier = pin.specifier
        else:  # a module only the generated code imports (a vendored helper's): as installed
            installed = env.version_of(self.name)
            specifier = f"=={installed}" if installed else ""
        return Requirement(self.name, specifier, tuple(self.why), self.extras)


def _sort_key(requirement: Requirement) -> str:
    return canonical(requirement.name)


def _spelling(key: str, direct: Sequence[Requirement]) -> str:
    return next((r.name for r in direct if canonical(r.name) == key), key)


def _closure(
    roots: Mapping[str, tuple[str, ...]], env: Environment, metadata: Metadata
) -> tuple[dict[str, set[str]], list[str]]:
    """Canonical name -> the names requiring it, for `roots` (with extras) and all they need;
    and the required distributions not installed (their own requirements are unknown)."""
    parents: dict[str, set[str]] = {key: set() for key in roots}
    done: set[tuple[str, str]] = set()  # (distribution, extra) already expanded
    queue = [(key, extras) for key, extras in roots.items()]
    missing: dict[str, None] = {}
    while queue:
        key, extras = queue.pop()
        if key not in env.distributions:
            missing.setdefault(key, None)
            continue
        wanted = [e for e in ("", *extras) if (key, e) not in done]
        done.update((key, e) for e in wanted)
        for text in metadata.requires.get(key, ()):
            requirement = _parse(text)
            if requirement is None:
                continue
            if not any(_applies(requirement.marker, metadata.markers, e) for e in wanted):
                continue
            child = canonical(requirement.name)
            parents.setdefault(child, set()).add(env.name_of(key) or key)
            child_extras = tuple(sorted(requirement.extras))
            if any((child, e) not in done for e in ("", *child_extras)):
                queue.append((child, child_extras))
    return parents, sorted(missing)


def _applies(marker: Marker | None, values: Mapping[str, str], extra: str) -> bool:
    if marker is None:
        return True
    return marker.evaluate({**values, "extra": extra})


def _kernel_side(env: Environment, metadata: Metadata) -> frozenset[str]:
    """The kernel's distributions, what they need, and what needs them (ipywidgets, jupyter)."""
    roots = {
        canonical(owner): () for name in KERNEL_IMPORTS for owner in env.top_level.get(name, ())
    }
    if not roots:
        return frozenset()
    needed, _ = _closure(roots, env, metadata)
    required_by: dict[str, set[str]] = {}  # the reverse graph, without extras
    for key in env.distributions:
        for text in metadata.requires.get(key, ()):
            requirement = _parse(text)
            if requirement is not None and _applies(requirement.marker, metadata.markers, ""):
                required_by.setdefault(canonical(requirement.name), set()).add(key)
    needing = set(roots)
    queue = list(roots)
    while queue:
        for parent in required_by.get(queue.pop(), ()):
            if parent not in needing:
                needing.add(parent)
                queue.append(parent)
    return frozenset(needed.keys() | needing)


@lru_cache(maxsize=4096)
def _parse(text: str) -> Pep508 | None:
    try:
        return Pep508(text)
    except InvalidRequirement:
        return None  # a broken Requires-Dist line: pip would not follow it either


def _differs(deps: Dependencies) -> list[str]:
    """The direct requirements pinned to another version than the one installed where analysed."""
    installed = {canonical(e.name): e.version for e in deps.environment}
    return [
        r.requirement
        for r in deps.direct
        if r.version is not None
        and (version := installed.get(canonical(r.name))) is not None
        and not same_version(r.version, version)
    ]


# -- the environment's metadata

# Runs inside the analysed interpreter: Python 3.8 compatible, standard library only. The
# marker values are those `packaging.markers.default_environment()` computes.
_QUERY = r"""
import json, os, platform, sys
if sys.path and sys.path[0] in ("", "."):
    del sys.path[0]
try:
    import importlib.metadata as md
except ImportError:
    import importlib_metadata as md

def version(info):
    text = "%d.%d.%d" % tuple(info[:3])
    if info.releaselevel != "final":
        text += info.releaselevel[0] + str(info.serial)
    return text

requires = []
for d in md.distributions():
    if d.metadata["Name"]:
        requires.append([d.metadata["Name"], list(d.requires or ())])
markers = {
    "implementation_name": sys.implementation.name,
    "implementation_version": version(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
json.dump({"requires": requires, "markers": markers}, sys.stdout)
"""


def metadata_for(python: str) -> Metadata:
    """The `Requires-Dist` of what `python` has installed; cached per path and modification time."""
    try:
        stat = os.stat(python)
    except OSError as exc:
        raise PythonNotFound(python, f"cannot be run: {exc.strerror or exc}") from None
    return _metadata(_query(os.path.abspath(python), stat.st_mtime_ns), python)


@lru_cache(maxsize=16)
def _query(python: str, mtime_ns: int) -> str:
    return ask_interpreter(python, _QUERY, "could not list its distributions' requirements")


def _metadata(text: str, python: str) -> Metadata:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raise PythonBroken(python, "printed something other than the expected answer") from None
    requires: dict[str, tuple[str, ...]] = {}
    for name, lines in raw["requires"]:
        requires.setdefault(canonical(name), tuple(lines))  # first on sys.path wins
    return Metadata(MappingProxyType(requires), MappingProxyType(dict(raw["markers"])))


def dependencies_for(
    files: Mapping[str, str],
    package: str,
    notebook: Notebook,
    python: str | None = None,
    *,
    path_dependencies: Collection[str] = (),
    runtime_modules: Iterable[str] = (),
) -> Dependencies:
    """Query the notebook's environment and pin what the package's code imports.

    Raises `InputError` when the notebook's interpreter cannot be used.
    """
    env = environment_for(notebook.kernel_name, python)
    code = [top for top in imported_modules(files, package) if top not in path_dependencies]
    pins = pin_notebook(notebook, python, environment=env, imported_modules=code)
    return package_dependencies(
        files,
        package,
        pins,
        env,
        metadata_for(env.python),
        path_dependencies=path_dependencies,
        runtime_modules=runtime_modules,
    )


# -- the lock file


def lock(
    deps: Dependencies, *, pip_options: Sequence[str] = (), timeout: float = LOCK_TIMEOUT
) -> LockFile:
    """The package's lock file: `pylock.toml` from `pip lock` where it can be made, else a
    `requirements.lock` of exact pins that says why it has no hashes.

    `pip_options` go to `pip lock` (an index, `--no-index --find-links DIR`); by default pip's
    own configuration chooses the index, as it will for the install.
    """
    if not deps.direct:
        text = (
            f'{_header(deps, PYLOCK)}lock-version = "1.0"\ncreated-by = "nb2prod"\npackages = []\n'
        )
        return LockFile(PYLOCK, text, True, "nothing to lock: the code imports no distribution")
    why_not = _pip_lock_unavailable()
    if why_not is None:
        made = _pip_lock(deps, pip_options, timeout)
        if isinstance(made, LockFile):
            return made
        why_not = made
    note = f"no hashes: {why_not}"
    return LockFile(REQUIREMENTS_LOCK, requirements_lock(deps, note), False, note)


def requirements_lock(deps: Dependencies, note: str) -> str:
    """The full environment as `name==version` lines, each saying what requires it."""
    lines = [_header(deps, REQUIREMENTS_LOCK).rstrip("\n"), f"# {note}"]
    lines += [f"# {n}" for n in deps.notes]
    pinned = {canonical(r.name): r for r in deps.direct}
    for locked in deps.environment:
        direct = pinned.get(canonical(locked.name))
        if direct is not None:
            line = direct.requirement
        elif locked.version is not None:
            line = f"{locked.name}=={locked.version}"
        else:
            line = locked.name
        via = ([", ".join(direct.why)] if direct is not None else []) + (
            [f"via {', '.join(locked.required_by)}"] if locked.required_by else []
        )
        lines.append(f"{line:<32}  # {'; '.join(via)}" if via else line)
    return "\n".join(lines) + "\n"


def _header(deps: Dependencies, name: str) -> str:
    install = (
        f"pip install -r {name} (pip >= {PIP_INSTALL_PYLOCK_SINCE})"
        if name == PYLOCK
        else f"pip install -r {name}"
    )
    return (
        f"# The environment of this package, locked by nb2prod from {deps.python} "
        f"(Python {deps.python_version}).\n"
        f"# Install: {install}, then pip install --no-deps .\n"
    )


def _pip_lock_unavailable() -> str | None:
    """Why nb2prod's own pip cannot write pylock.toml (None: it can)."""
    try:
        installed = importlib.metadata.version("pip")
    except importlib.metadata.PackageNotFoundError:
        return f"pip is not installed in {sys.executable}, so `pip lock` cannot run"
    try:
        if Version(installed) >= PIP_LOCK_SINCE:
            return None
    except InvalidVersion:
        pass
    return f"pip {installed} has no `pip lock` (pip >= {PIP_LOCK_SINCE} does)"


def _pip_lock(deps: Dependencies, pip_options: Sequence[str], timeout: float) -> LockFile | str:
    """Run `pip lock` on the direct pins, constrained to the analysed environment's versions;
    the lock file, or why there is none."""
    mismatched = bool(_differs(deps))
    constraints = (
        []
        if mismatched
        else [
            f"{e.name}=={e.version}"
            for e in deps.environment
            if e.version is not None and not e.direct
        ]
    )
    with tempfile.TemporaryDirectory(prefix="nb2prod-lock-") as scratch:
        folder = Path(scratch)
        (folder / "requirements.txt").write_text("\n".join(deps.requirements) + "\n", "utf-8")
        (folder / "constraints.txt").write_text("\n".join(constraints) + "\n", "utf-8")
        target = [] if _same_python(deps.python) else ["--python", deps.python]
        command = [
            sys.executable,
            "-m",
            "pip",
            *target,
            "lock",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            *(
                "--timeout",
                "60",
                "--retries",
                "2",
            ),  # offline: fall back in minutes, not a quarter hour
            "-r",
            "requirements.txt",
            "-c",
            "constraints.txt",
            "-o",
            PYLOCK,
            *pip_options,
        ]
        try:
            done = subprocess.run(
                command,
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"`pip lock` did not finish within {timeout:.0f} s"
        except OSError as exc:
            return f"`pip lock` could not run: {exc.strerror or exc}"
        errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
        if done.returncode != 0 or not (folder / PYLOCK).is_file():
            return f"`pip lock` failed ({(errors or ['exit code ' + str(done.returncode)])[0]})"
        text = (folder / PYLOCK).read_text("utf-8")
    try:
        locked = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return f"`pip lock` wrote a pylock.toml that does not parse ({exc})"
    packages = [p for p in locked.get("packages", []) if isinstance(p, dict)]
    names = {canonical(str(p.get("name", ""))) for p in packages}
    hashed = all(_has_hashes(p) for p in packages)
    notes = list(deps.notes)
    if mismatched:
        notes.append("what the pinned requirements need was resolved by pip from the index")
    extra = sorted(names - {canonical(e.name) for e in deps.environment})
    if extra:
        notes.append(f"pip also locked {', '.join(extra)} (not installed where analysed)")
    body = "".join(f"# {n}\n" for n in notes)
    note = "pylock.toml written by `pip lock`" + (f"; {'; '.join(notes)}" if notes else "")
    return LockFile(PYLOCK, _header(deps, PYLOCK) + body + text, hashed, note)


def _has_hashes(package: Mapping[str, object]) -> bool:
    artifacts: list[object] = []
    wheels = package.get("wheels")
    if isinstance(wheels, list):
        artifacts.extend(wheels)
    for key in ("sdist", "archive"):
        if key in package:
            artifacts.append(package[key])
    return bool(artifacts) and all(
        isinstance(a, dict) and isinstance(a.get("hashes"), dict) and a["hashes"] for a in artifacts
    )


def _same_python(python: str) -> bool:
    return os.path.abspath(python) == os.path.abspath(sys.executable)
