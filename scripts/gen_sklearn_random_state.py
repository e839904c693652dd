"""Generate nb2prod/data/sklearn_random_state.json: scikit-learn callables that take random_state.

Why: rule NB109 flags calls to scikit-learn estimators and functions that leave
``random_state`` unset, which makes a notebook's results change from run to run.
The rule needs to know which public names accept that parameter; this script
reads it off the installed scikit-learn instead of keeping a hand-written list.

What is collected:

* every estimator class from ``sklearn.utils.all_estimators()``, and
* every public class or function exported by a public scikit-learn module
  (found with ``pkgutil``; modules or packages whose name has a part starting with
  ``_``, ``tests``, ``conftest``, and the vendored ``sklearn.externals`` and the
  ``sklearn.experimental`` enablers are skipped),

whose signature (for a class, that of its ``__init__``) has a ``random_state``
parameter.  A module's exports are its ``__all__``; for a module without one,
the public names defined in that module or its private submodules.  Objects
defined outside scikit-learn (re-exported numpy or scipy helpers) are ignored.

Output (sorted keys, indent 1, trailing newline)::

    {"generated_by": "scripts/gen_sklearn_random_state.py",
     "sklearn_version": "1.9.1",
     "names": {"RandomForestClassifier": ["sklearn.ensemble"], ...}}

Each name maps to the sorted list of public modules it can be imported from.

Usage (from the repository root):

    .venv/bin/python scripts/gen_sklearn_random_state.py [--output PATH] [--check]

--check regenerates in memory and exits 1, printing a unified diff on stdout, if
the stored file (``--output``, default nb2prod/data/sklearn_random_state.json)
differs from a fresh generation.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import inspect
import json
import pkgutil
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "nb2prod" / "data" / "sklearn_random_state.json"
GENERATED_BY = "scripts/gen_sklearn_random_state.py"
PARAMETER = "random_state"

# Module name parts never walked: test suites, pytest configuration, vendored
# third-party code, and the experimental enablers (imported first instead, so
# that what they enable shows up under its public module).
SKIPPED_PARTS = frozenset({"tests", "conftest", "externals", "experimental"})
EXPERIMENTAL_ENABLERS = (
    "sklearn.experimental.enable_halving_search_cv",
    "sklearn.experimental.enable_iterative_imputer",
)


def _is_public_module(name: str) -> bool:
    return not any(part.startswith("_") or part in SKIPPED_PARTS for part in name.split("."))


def public_modules() -> list[str]:
    """Names of the public scikit-learn modules, ``sklearn`` itself included, sorted."""
    import sklearn

    names = {"sklearn"}
    for info in pkgutil.walk_packages(sklearn.__path__, "sklearn.", onerror=lambda _name: None):
        if _is_public_module(info.name):
            names.add(info.name)
    return sorted(names)


def _defined_in(obj: object, module_name: str) -> bool:
    owner = getattr(obj, "__module__", None) or ""
    return owner == module_name or owner.startswith(module_name + "._")


def exports(module: object) -> dict[str, object]:
    """The public classes and functions a module exports, by name."""
    module_name = module.__name__
    declared = getattr(module, "__all__", None)
    if declared is not None:
        candidates = [name for name in declared if isinstance(name, str)]
    else:
        candidates = [name for name in vars(module) if not name.startswith("_")]
    found: dict[str, object] = {}
    for name in candidates:
        try:
            obj = getattr(module, name)
        except AttributeError:
            continue
        if not (inspect.isclass(obj) or inspect.isroutine(obj)):
            continue
        owner = getattr(obj, "__module__", None) or ""
        if not (owner == "sklearn" or owner.startswith("sklearn.")):
            continue
        if declared is None and not _defined_in(obj, module_name):
            continue
        found[name] = obj
    return found


def takes_random_state(obj: object) -> bool:
    """Whether the callable's signature (a class's ``__init__``) has ``random_state``."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    if inspect.isclass(obj) and target is object.__init__:
        return False
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return False
    return PARAMETER in signature.parameters


def generate() -> dict[str, object]:
    """The data, as a JSON-ready dictionary."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import sklearn
        from sklearn.utils import all_estimators

        for enabler in EXPERIMENTAL_ENABLERS:
            importlib.import_module(enabler)

        names: dict[str, set[str]] = {}
        seen: set[int] = set()
        for module_name in public_modules():
            module = importlib.import_module(module_name)
            for name, obj in exports(module).items():
                if takes_random_state(obj):
                    names.setdefault(name, set()).add(module_name)
                    seen.add(id(obj))

        missing = [
            f"{cls.__module__}.{name}"
            for name, cls in all_estimators()
            if takes_random_state(cls) and id(cls) not in seen
        ]
        if missing:
            raise SystemExit(
                "estimators taking random_state that no public module exports: "
                + ", ".join(sorted(missing))
            )

    return {
        "generated_by": GENERATED_BY,
        "sklearn_version": sklearn.__version__,
        "names": {name: sorted(modules) for name, modules in sorted(names.items())},
    }


def render(data: dict[str, object]) -> str:
    return json.dumps(data, sort_keys=True, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="where the JSON is written (default: %(default)s)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if the stored file is out of date",
    )
    args = parser.parse_args(argv)

    fresh = render(generate())
    if args.check:
        try:
            stored = args.output.read_text(encoding="utf-8")
        except FileNotFoundError:
            stored = ""
        if stored == fresh:
            return 0
        diff = difflib.unified_diff(
            stored.splitlines(keepends=True),
            fresh.splitlines(keepends=True),
            fromfile=f"{args.output} (stored)",
            tofile=f"{args.output} (regenerated)",
        )
        sys.stdout.writelines(diff)
        print(f"{args.output} is out of date: run python {GENERATED_BY}", file=sys.stderr)
        return 1

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(fresh, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
