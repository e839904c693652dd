"""The frozen records data flow produces for each code cell (`CellSymbols` and its parts)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ref:
    name: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Mutation:
    """An in-place change of a module-level name (`how`: item, attr, method:append, inplace, del-item)."""

    name: str
    line: int
    column: int
    how: str
    # the new value is computed from the same item or attribute (df['a'] = df['a'] * 2)
    reads_target: bool
    external: bool = True  # the name was not bound earlier in this cell


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # "numpy" for `import numpy as np`, "sklearn.model_selection" for a from-import
    name: str | None  # the imported member of a from-import, else None
    bound_as: str | None  # the local name; None for a star import
    line: int
    level: int = 0  # relative-import dots


@dataclass(frozen=True, slots=True)
class Call:
    """A call whose callee is a dotted name (`np.random.rand`, `df.to_csv`, `open`)."""

    name: str
    line: int
    column: int
    keywords: tuple[str, ...]  # keyword arguments not given a literal None
    false_keywords: tuple[str, ...]  # keyword arguments given a literal False (shuffle=False)
    n_args: int
    has_star_kwargs: bool
    string_args: tuple[str, ...]  # literal string arguments, positional and keyword
    deferred: bool  # inside a function or lambda body


@dataclass(frozen=True, slots=True)
class StringAssign:
    """`NAME = "literal"` at module level (paths, thresholds as text)."""

    name: str
    value: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Magic:
    """A magic or shell escape: kind is "line", "cell" or "shell"."""

    kind: str
    name: str
    args: str
    line: int


@dataclass(frozen=True, slots=True)
class ParseFailure:
    message: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class CellSymbols:
    """The names one code cell binds, reads from outside itself, and changes."""

    defines: tuple[Ref, ...] = ()
    uses: tuple[Ref, ...] = ()  # read before being bound in the cell, when the cell runs
    # module names read by function bodies, never bound in the cell
    deferred_uses: tuple[Ref, ...] = ()
    deletes: tuple[Ref, ...] = ()
    mutations: tuple[Mutation, ...] = ()
    self_rebinds: tuple[Ref, ...] = ()  # x = f(x) / x += 1 on a name the cell did not bind first
    imports: tuple[Import, ...] = ()
    calls: tuple[Call, ...] = ()
    magics: tuple[Magic, ...] = ()
    hidden_origins: tuple[Ref, ...] = ()  # star import, exec/eval, %run, %store -r
    string_assignments: tuple[StringAssign, ...] = ()
    parse_error: ParseFailure | None = None

    @property
    def defined_names(self) -> frozenset[str]:
        return frozenset(r.name for r in self.defines)

    @property
    def used_names(self) -> frozenset[str]:
        return frozenset(r.name for r in self.uses)
