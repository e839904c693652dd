"""Resolve local names to the modules they were imported from (`np` -> `numpy`)."""

from __future__ import annotations

from nb2prod.analysis.records import CellSymbols, Import


def bind_imports(table: dict[str, str], imports: tuple[Import, ...]) -> None:
    """Add a cell's imports to `table` (local name -> qualified name), later ones winning."""
    for imp in imports:
        if imp.bound_as is None or imp.level:
            continue
        if imp.name is None:
            # `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`
            table[imp.bound_as] = (
                imp.module if imp.bound_as != imp.module.split(".")[0] else imp.bound_as
            )
        else:
            table[imp.bound_as] = f"{imp.module}.{imp.name}" if imp.module else imp.name


def qualify(table: dict[str, str], dotted: str) -> str | None:
    """`np.random.rand` -> `numpy.random.rand`; None when the root was not imported."""
    head, _, rest = dotted.partition(".")
    base = table.get(head)
    if base is None:
        return None
    return f"{base}.{rest}" if rest else base


def carry_modules(modules: dict[str, str], sym: CellSymbols) -> None:
    """Update `modules` (local name -> what an import bound it to) past a cell or statement:
    its imports bind names, its other bindings unbind them."""
    imported = {i.bound_as for i in sym.imports}
    for ref in sym.defines:
        if ref.name not in imported:
            modules.pop(ref.name, None)
    bind_imports(modules, sym.imports)
