"""Why nb2prod's data flow uses `ast` and not LibCST: time both on the same real cells.

    .venv/bin/python bench/parse_speed.py [--corpus ../shared/corpora/wild] [--cells 3000]

Times, per code cell: `ast.parse` plus nb2prod's scope visitor, against
`libcst.parse_module` plus `MetadataWrapper(...).resolve(ScopeProvider)`.
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "wild")
    parser.add_argument("--cells", type=int, default=3000)
    args = parser.parse_args()
    import libcst
    from libcst.metadata import MetadataWrapper, ScopeProvider

    from nb2prod.analysis.dataflow import analyze_cell
    from nb2prod.analysis.symbols import collect_symbols  # noqa: F401  (warm imports)
    from nb2prod.notebook.ipysyntax import translate
    from nb2prod.notebook.load import iter_notebook_paths, load

    warnings.simplefilter("ignore")
    sources: list[str] = []
    for path in iter_notebook_paths([str(args.corpus)]):
        try:
            nb = load(path)
        except Exception:
            continue
        for cell in nb.code_cells:
            code = translate(cell.source)
            try:
                ast.parse(code)
                libcst.parse_module(code)
            except Exception:
                continue
            sources.append(code)
        if len(sources) >= args.cells:
            break
    sources = sources[: args.cells]
    start = time.perf_counter()
    for code in sources:
        analyze_cell(code)
    ours = (time.perf_counter() - start) / len(sources)
    start = time.perf_counter()
    for code in sources:
        MetadataWrapper(libcst.parse_module(code)).resolve(ScopeProvider)
    theirs = (time.perf_counter() - start) / len(sources)
    print(
        f"{len(sources)} cells: ast + nb2prod visitor {ours * 1000:.3f} ms/cell; "
        f"libcst + ScopeProvider {theirs * 1000:.3f} ms/cell; ratio {theirs / ours:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
