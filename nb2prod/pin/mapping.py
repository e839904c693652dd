"""Import name -> distribution, from the environment's own metadata first.

Order (first match wins):
1. relative imports and `__future__`: nothing to pin;
2. the standard library of the analysed interpreter (`sys.stdlib_module_names`), and a
   short list of Python 2 standard modules (`StringIO`, `urllib2`, ...);
3. a module next to the notebook, in a folder the notebook adds to `sys.path`, or in its project
   root (`search_path.py`): local;
4. the environment: `importlib.metadata.packages_distributions()`, by namespace portion
   where the top-level name is a namespace package (`mpl_toolkits.mplot3d`);
5. nb2prod's curated table of well-known mismatches (`cv2` -> opencv-python), for imports
   not installed; never a guessed name, never a version.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

from nb2prod.pin.environment import Environment, canonical


@dataclass(frozen=True, slots=True)
class Table:
    imports: Mapping[str, str]  # import name or dotted portion -> distribution
    conda: Mapping[str, str]  # conda package name -> PyPI distribution
    python2_stdlib: frozenset[str]

    def lookup(self, module: str) -> str | None:
        """The distribution for the longest dotted prefix of `module` in the table."""
        parts = module.split(".")
        for end in range(len(parts), 0, -1):
            found = self.imports.get(".".join(parts[:end]))
            if found is not None:
                return found
        return None


@lru_cache(maxsize=1)
def table() -> Table:
    raw = json.loads(
        resources.files("nb2prod.data").joinpath("import_to_dist.json").read_text("utf-8")
    )
    return Table(
        MappingProxyType(dict(raw["imports"])),
        MappingProxyType(dict(raw["conda"])),
        frozenset(raw["python2_stdlib"]),
    )


@dataclass(frozen=True, slots=True)
class Resolution:
    """What one imported module needs."""

    status: (
        str  # "relative", "future", "stdlib", "python2-stdlib", "local", "distribution", "unknown"
    )
    distributions: tuple[str, ...] = ()  # candidates, the chosen one first
    source: str = ""  # "environment" or "table" for a distribution
    installed: bool = False  # importable in the analysed environment
    detail: str = ""  # the local file, or other providers of the same name


class LocalModules:
    """Modules beside the notebook: Jupyter starts kernels in the notebook's folder, first on sys.path."""

    def __init__(
        self,
        folders: Iterable[str],
        written: Mapping[str, str] | None = None,
        project: Iterable[str] = (),
    ) -> None:
        self.folders = tuple(dict.fromkeys(os.path.abspath(f) for f in folders))
        self.written = dict(written or {})  # modules the notebook writes itself (%%writefile x.py)
        # the project root (and its src/): searched last, for modules and regular packages only
        # (a folder such as data/ there is not a namespace package the notebook imports)
        self.project = tuple(f for f in dict.fromkeys(map(os.path.abspath, project)))
        self._listing: dict[str, frozenset[str]] = {}

    def _names(self, folder: str) -> frozenset[str]:
        names = self._listing.get(folder)
        if names is None:
            try:
                names = frozenset(os.listdir(folder))
            except OSError:
                names = frozenset()
            self._listing[folder] = names
        return names

    def find(self, top: str, *, namespace_ok: bool) -> str | None:
        """The file or folder that `import top` would load from beside the notebook, if any.

        A folder without `__init__.py` only counts when nothing installed has the name:
        Python prefers a regular package anywhere on sys.path to a namespace portion. The
        project root is not on the kernel's sys.path: its modules count only then, too.
        """
        if top in self.written:
            return self.written[top]
        searched = [(f, namespace_ok) for f in self.folders]
        if namespace_ok:  # nothing installed has the name: the project's own module is the one
            searched += [(f, False) for f in self.project]
        for folder, namespaces in searched:
            names = self._names(folder)
            if f"{top}.py" in names:
                return os.path.join(folder, f"{top}.py")
            for (
                name
            ) in names:  # extension modules (top.cpython-311-x86_64-linux-gnu.so), Cython sources
                if name.startswith(top + ".") and name.endswith((".so", ".pyd", ".pyx")):
                    return os.path.join(folder, name)
            if top in names:
                path = os.path.join(folder, top)
                if os.path.isfile(os.path.join(path, "__init__.py")):
                    return path
                if namespaces and os.path.isdir(path):
                    return path
        return None


def resolve(
    module: str, level: int, env: Environment, local: LocalModules, tbl: Table
) -> Resolution:
    """Map one imported module (dotted, as written) to what must be installed for it."""
    if level:
        return Resolution("relative")
    top = module.split(".")[0]
    if not top:
        return Resolution("relative")
    if top == "__future__":
        return Resolution("future")
    if top in env.stdlib:
        return Resolution("stdlib")
    installed = env.importable(top)
    found = local.find(top, namespace_ok=not installed)
    if found is not None:
        return Resolution("local", detail=found)
    if top in tbl.python2_stdlib:
        return Resolution("python2-stdlib")
    portions = env.namespaces.get(top)
    if portions is not None:
        owners = _portion_owners(module, portions)
        if owners:
            return Resolution("distribution", _ordered(owners, module, tbl), "environment", True)
        installed = False  # the namespace exists, but not the portion imported
    elif top in env.top_level:
        owners = env.top_level[top]
        ordered = _ordered(owners, module, tbl)
        detail = f"also provided by {', '.join(ordered[1:])}" if len(ordered) > 1 else ""
        return Resolution("distribution", ordered, "environment", True, detail)
    named = tbl.lookup(module)
    if named is not None:
        return Resolution("distribution", (named,), "table", installed)
    return Resolution("unknown", installed=installed)


def _portion_owners(module: str, portions: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    parts = module.split(".")
    for end in range(min(len(parts), 3), 1, -1):
        owners = portions.get(".".join(parts[:end]))
        if owners:
            return owners
    return ()


def _ordered(owners: tuple[str, ...], module: str, tbl: Table) -> tuple[str, ...]:
    """Several distributions install the same name (PIL by pillow and Pillow-SIMD): prefer the
    one named like the import, then the table's, then alphabetical order, so the choice is stable."""
    top = canonical(module.split(".")[0])
    preferred = canonical(tbl.lookup(module) or "")

    def key(name: str) -> tuple[int, str]:
        c = canonical(name)
        return (0 if c == top else 1 if c == preferred else 2, c)

    return tuple(sorted(dict.fromkeys(owners), key=key))
