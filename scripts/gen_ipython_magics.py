"""Generate nb2prod/data/ipython_magics.json: the magics a Jupyter kernel knows, by name.

Why: IPython's automagic runs a single-line cell such as `pip install x` or `cd ..` as the
line magic its first word names (`%pip`, `%cd`), unless a variable shadows it. nb2prod reads
notebooks without importing IPython on the check path (too slow for a pre-commit hook), so the
names of the magics are read here, once, from IPython's own registry instead of being kept by
hand.

What is collected, from the shell a Jupyter kernel runs (ipykernel's `ZMQInteractiveShell`,
with the extensions every kernel loads at start, `InteractiveShellApp.default_extensions`):

* `line`: every line magic, the shell aliases of this platform included (`ls`, `cat`: IPython
  registers them as line magics, so automagic runs them the same way);
* `cell`: every cell magic;
* `aliases`: which of the line magics are those shell aliases (they differ per platform;
  this table is generated on a POSIX system);
* `extensions`: for each extension bundled with IPython that a notebook loads itself
  (`%load_ext autoreload`), the line and cell magics loading it adds.

Output (sorted keys and lists, indent 1, trailing newline)::

    {"generated_by": "scripts/gen_ipython_magics.py",
     "ipython_version": "9.18.1", "ipykernel_version": "7.4.0",
     "line": [...], "cell": [...], "aliases": [...],
     "extensions": {"autoreload": {"cell": [], "line": ["aimport", "autoreload"]}}}

Usage (from the repository root):

    .venv/bin/python scripts/gen_ipython_magics.py [--output PATH] [--check]

--check regenerates in memory and exits 1, printing a unified diff on stdout, if the stored
file (`--output`, default nb2prod/data/ipython_magics.json) differs from a fresh generation.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import pkgutil
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "nb2prod" / "data" / "ipython_magics.json"
GENERATED_BY = "scripts/gen_ipython_magics.py"


def _registry(shell: Any) -> dict[str, set[str]]:
    magics = shell.magics_manager.magics
    return {"line": set(magics["line"]), "cell": set(magics["cell"])}


def generate() -> dict[str, Any]:
    import IPython.extensions
    from ipykernel.zmqshell import ZMQInteractiveShell
    from IPython.core.shellapp import InteractiveShellApp

    shell = ZMQInteractiveShell.instance()
    for name in InteractiveShellApp.class_traits()["default_extensions"].default():
        shell.extension_manager.load_extension(name)
    kernel = _registry(shell)
    loaded = set(shell.extension_manager.loaded)
    extensions: dict[str, dict[str, list[str]]] = {}
    for info in pkgutil.iter_modules(IPython.extensions.__path__):
        module = importlib.import_module(f"IPython.extensions.{info.name}")
        if info.name in loaded or not hasattr(module, "load_ipython_extension"):
            continue
        before = _registry(shell)
        shell.extension_manager.load_extension(info.name)
        after = _registry(shell)
        added = {kind: sorted(after[kind] - before[kind]) for kind in ("cell", "line")}
        if added["line"] or added["cell"]:
            extensions[info.name] = added
    return {
        "generated_by": GENERATED_BY,
        "ipython_version": metadata.version("ipython"),
        "ipykernel_version": metadata.version("ipykernel"),
        "line": sorted(kernel["line"]),
        "cell": sorted(kernel["cell"]),
        "aliases": sorted(name for name, _ in shell.alias_manager.aliases),
        "extensions": extensions,
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = render(generate())
    if args.check:
        stored = args.output.read_text("utf-8") if args.output.exists() else ""
        if stored == text:
            return 0
        sys.stdout.writelines(
            difflib.unified_diff(
                stored.splitlines(keepends=True),
                text.splitlines(keepends=True),
                str(args.output),
                "fresh generation",
            )
        )
        return 1
    args.output.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
