"""The environment a notebook runs in: its kernel's interpreter, queried in a subprocess.

The query runs `importlib.metadata` inside the target interpreter (which may be
another Python version, another venv, a conda env), so the answer is that
interpreter's truth, not nb2prod's. It is the main cost of `pin` (~0.3 s), so the
answer is cached per interpreter path and modification time for the life of the
process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from nb2prod.core.errors import PythonBroken, PythonNotFound

QUERY_TIMEOUT = 60.0  # seconds; a cold conda env on a network disk can be slow

# Runs inside the target interpreter: keep it Python 3.8 compatible and free of
# third-party imports. `-c` puts the current folder first on sys.path; it is dropped
# so the answer does not depend on where nb2prod was started.
_QUERY = r"""
import json, os, sys
if sys.path and sys.path[0] in ("", "."):
    del sys.path[0]
try:
    import importlib.metadata as md
except ImportError:
    import importlib_metadata as md
import pkgutil

def canon(name):
    return "".join("-" if c in "_." else c for c in name.lower())

dists = {}
for d in md.distributions():
    name = d.metadata["Name"]
    if name and canon(name) not in dists:  # first on sys.path wins, as it does for imports
        dists[canon(name)] = [name, d.version]

if hasattr(md, "packages_distributions"):
    top = md.packages_distributions()
else:  # Python < 3.10: the same rule by hand (top_level.txt, else the files' first parts)
    top = {}
    for d in md.distributions():
        names = (d.read_text("top_level.txt") or "").split()
        if not names:
            names = {str(f).split("/")[0].split(".")[0] for f in (d.files or ())
                     if str(f).endswith(".py")}
        for n in names:
            top.setdefault(n, []).append(d.metadata["Name"])

def regular(entry, name):
    base = os.path.join(entry, name)
    if os.path.isfile(os.path.join(base, "__init__.py")) or os.path.isfile(base + ".py"):
        return True
    return False

namespaces = {}
for name, owners in top.items():
    found_dir = False
    is_regular = False
    for entry in sys.path:
        if regular(entry, name):
            is_regular = True
            break
        if os.path.isdir(os.path.join(entry, name)):
            found_dir = True
    if found_dir and not is_regular:
        # which distribution provides which portion (mpl_toolkits.mplot3d, google.protobuf)
        parts = {}
        for owner in set(owners):
            try:
                files = [str(f).replace("\\", "/").split("/") for f in md.distribution(owner).files or ()]
            except Exception:
                continue
            packages = {"/".join(s[:-1]) for s in files if s[-1] == "__init__.py"}
            for segs in files:
                if segs[0] != name or len(segs) < 2 or "__pycache__" in segs or segs[1] == "__init__.py":
                    continue
                key = name + "." + segs[1].split(".")[0]
                parts.setdefault(key, set()).add(owner)
                # one level deeper only where that part is itself a namespace (google.cloud.storage)
                if len(segs) >= 3 and "/".join(segs[:2]) not in packages and segs[2] != "__init__.py":
                    parts.setdefault(key + "." + segs[2].split(".")[0], set()).add(owner)
        namespaces[name] = {k: sorted(v) for k, v in parts.items()}

modules = sorted({m.name for m in pkgutil.iter_modules()} | set(sys.builtin_module_names))
json.dump({
    "executable": sys.executable,
    "version": "%d.%d.%d" % tuple(sys.version_info[:3]),
    "stdlib": sorted(getattr(sys, "stdlib_module_names", ())),
    "builtin": sorted(sys.builtin_module_names),
    "dists": dists,
    "top_level": {k: sorted(set(v)) for k, v in top.items()},
    "namespaces": namespaces,
    "modules": modules,
}, sys.stdout)
"""


def canonical(name: str) -> str:
    """PEP 503 normalisation: `Scikit_Learn` and `scikit-learn` are the same project."""
    out = []
    previous_dash = False
    for char in name.lower():
        if char in "-_.":
            if not previous_dash:
                out.append("-")
            previous_dash = True
        else:
            out.append(char)
            previous_dash = False
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Interpreter:
    """The Python to query, how it was chosen, and environment variables its kernelspec sets."""

    path: str
    source: str
    env: tuple[tuple[str, str], ...] = ()
    fallback: bool = False


@dataclass(frozen=True, slots=True)
class Environment:
    """What is installed in one interpreter, as its own `importlib.metadata` reports it."""

    python: str
    source: str
    version: str
    distributions: Mapping[str, tuple[str, str]]  # canonical name -> (name, version)
    top_level: Mapping[str, tuple[str, ...]]  # import name -> distribution names
    namespaces: Mapping[str, Mapping[str, tuple[str, ...]]]  # namespace -> {"ns.part": dists}
    modules: frozenset[str]  # importable top-level names (with or without a distribution)
    stdlib: frozenset[str]
    fallback: bool = False

    def version_of(self, distribution: str) -> str | None:
        found = self.distributions.get(canonical(distribution))
        return found[1] if found else None

    def name_of(self, distribution: str) -> str | None:
        """The distribution's own spelling of its name, if installed."""
        found = self.distributions.get(canonical(distribution))
        return found[0] if found else None

    def importable(self, top: str) -> bool:
        return top in self.modules or top in self.top_level


_PYTHON_NAMES = (
    "python",
    f"python{sys.version_info[0]}",
    f"python{sys.version_info[0]}.{sys.version_info[1]}",
)


def _looks_like_python(arg: str) -> bool:
    base = os.path.basename(arg).lower()
    return base.startswith(("python", "pypy"))


def interpreter_from_path(python: str) -> Interpreter:
    """`--python PATH`: an interpreter, a venv folder, or a name on PATH."""
    candidate = Path(python).expanduser()
    if candidate.is_dir():
        for sub in ("bin/python", "bin/python3", "Scripts/python.exe"):
            if (candidate / sub).is_file():
                candidate = candidate / sub
                break
        else:
            raise PythonNotFound(
                python, "is a folder without bin/python; give an interpreter or a venv"
            )
    elif not candidate.exists():
        found = shutil.which(python) if os.sep not in python else None
        if not found:
            raise PythonNotFound(python, "no such Python interpreter")
        candidate = Path(found)
    if not os.access(candidate, os.X_OK):
        raise PythonNotFound(python, "is not executable")
    return Interpreter(os.path.abspath(candidate), "--python")


def interpreter_for_kernel(kernel_name: str | None) -> Interpreter:
    """The interpreter the notebook's kernelspec starts, as Jupyter would resolve it."""
    name = kernel_name or "python3"
    own = Interpreter(sys.executable, "", fallback=True)
    try:
        # lazy: ~0.15 s, paid only when a kernelspec is looked up (not with --python)
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return _fallback(
            own, f"jupyter_client is not installed, so kernel '{name}' cannot be looked up"
        )
    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return _fallback(own, f"kernel '{name}' is not installed here")
    except Exception as exc:
        return _fallback(own, f"kernel '{name}' could not be read ({exc})")
    argv = list(spec.argv or ())
    where = f"kernelspec '{name}' ({spec.resource_dir})"
    env = tuple(sorted((str(k), str(v)) for k, v in (spec.env or {}).items()))
    if not argv:
        return _fallback(own, f"{where} has no argv")
    # jupyter_client runs a bare "python" as the Jupyter process's own interpreter
    if argv[0] in _PYTHON_NAMES:
        return Interpreter(sys.executable, where, env)
    for arg in argv:
        if _looks_like_python(arg):
            path = arg if os.path.isabs(arg) else shutil.which(arg)
            if path and os.access(path, os.X_OK):
                return Interpreter(os.path.abspath(path), where, env)
            return _fallback(own, f"{where} starts {arg}, which does not exist here")
    return _fallback(own, f"{where} does not start a Python interpreter ({argv[0]})")


def _fallback(own: Interpreter, why: str) -> Interpreter:
    return Interpreter(own.path, f"{why}; analysed with nb2prod's own interpreter", fallback=True)


def query(interpreter: Interpreter) -> Environment:
    """What `interpreter` has installed; cached per path and modification time."""
    try:
        stat = os.stat(interpreter.path)
    except OSError as exc:
        raise PythonNotFound(interpreter.path, f"cannot be run: {exc.strerror or exc}") from None
    # abspath, not realpath: two venvs share one real interpreter but not their packages
    data = _query_cached(os.path.abspath(interpreter.path), stat.st_mtime_ns, interpreter.env)
    return _environment(data, interpreter)


@lru_cache(maxsize=16)
def _query_cached(python: str, mtime_ns: int, env_pairs: tuple[tuple[str, str], ...]) -> str:
    env = dict(os.environ)
    env.update(env_pairs)
    env.pop("PYTHONSTARTUP", None)
    return ask_interpreter(python, _QUERY, "is not a working Python 3.8+ interpreter", env)


def ask_interpreter(
    python: str, program: str, failing: str, env: Mapping[str, str] | None = None
) -> str:
    """What `program` prints when `python` runs it (away from the caller's folder); a Python
    that cannot be run or fails is the user's input error, `failing` saying what it is not."""
    try:
        done = subprocess.run(
            [python, "-c", program],
            capture_output=True,
            text=True,
            timeout=QUERY_TIMEOUT,
            cwd=tempfile.gettempdir(),
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except OSError as exc:
        raise PythonNotFound(python, f"cannot be run: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise PythonBroken(python, f"did not answer within {QUERY_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise PythonBroken(python, f"{failing} ({last})")
    return done.stdout


def _environment(text: str, interpreter: Interpreter) -> Environment:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raise PythonBroken(
            interpreter.path, "printed something other than the expected answer"
        ) from None
    stdlib = frozenset(raw["stdlib"]) or frozenset(sys.stdlib_module_names)  # < 3.10 has no list
    return Environment(
        python=interpreter.path,
        source=interpreter.source,
        version=raw["version"],
        distributions=MappingProxyType({k: (v[0], v[1]) for k, v in raw["dists"].items()}),
        top_level=MappingProxyType({k: tuple(v) for k, v in raw["top_level"].items()}),
        namespaces=MappingProxyType(
            {
                k: MappingProxyType({p: tuple(d) for p, d in parts.items()})
                for k, parts in raw["namespaces"].items()
            }
        ),
        modules=frozenset(raw["modules"]),
        stdlib=stdlib | frozenset(raw["builtin"]),
        fallback=interpreter.fallback,
    )


def environment_for(kernel_name: str | None, python: str | None = None) -> Environment:
    """Resolve the interpreter (`--python` first, then the kernelspec) and query it."""
    interpreter = interpreter_from_path(python) if python else interpreter_for_kernel(kernel_name)
    return query(interpreter)


def clear_cache() -> None:
    """Forget every queried environment (tests that install packages need this)."""
    _query_cached.cache_clear()
