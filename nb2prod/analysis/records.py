"""The frozen records data flow produces for each code cell (`CellSymbols` and its parts)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ref:
    name: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Rerun:
    """What running a self-update again does, by the idempotence table (nb2prod/data/idempotence.json).

    `ops` are the operations the update applies to the value it reads, in the order they run
    (`("fillna", "astype")` for `df = df.fillna(0).astype(int)`); `idempotent` is None when one
    of them is not in the table; `why` names the operation that decides, and what it does.
    """

    ops: tuple[str, ...]
    idempotent: bool | None
    why: str = ""


@dataclass(frozen=True, slots=True)
class SelfRebind:
    """`x = f(x)` or `x += 1` at module level, on a name the cell did not bind first."""

    name: str
    line: int
    column: int
    rerun: Rerun


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
    # what a second run does: set for method calls, inplace=True, del and self-reading stores
    rerun: Rerun | None = None


@dataclass(frozen=True, slots=True)
class Binding:
    """The top-level statement that last binds a module name in a cell, to tell a re-run or
    identical definition from a changed one.

    `kind` is import, def, class, assign, or other (bound in a block, a loop, from its own
    value: never the same as another binding). Lines are the cell's, 1-based, inclusive.
    """

    name: str
    kind: str
    line: int
    end_line: int
    target: str = ""  # import: what it binds ("numpy as np", "os.path.join as join")
    literal: str | None = None  # assign of a constant: its str() (what print shows)


@dataclass(frozen=True, slots=True)
class ColumnChange:
    """A change of one column or attribute of a module-level table the stored outputs can show:
    `change` is "dropped", or the kind of the new values ("number", "text", "datetime")."""

    name: str
    column: str
    change: str
    line: int


@dataclass(frozen=True, slots=True)
class Display:
    """A module-level name whose value the cell shows: `how` is "repr" (last expression), "str"
    (a print argument) or "rows" (a row selection of a table: `df.head()`, `df[mask]`)."""

    name: str
    how: str


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
    # reads inside `try:` guarded by `except NameError`, or `if 'x' in globals()`: never undefined
    guarded_uses: tuple[Ref, ...] = ()
    deletes: tuple[Ref, ...] = ()  # unconditional `del x` at module level
    unbound: frozenset[str] = frozenset()  # names the cell leaves deleted (not bound again)
    # reads of a name this cell deleted before (and did not bind again): undefined in any run
    deleted_uses: tuple[Ref, ...] = ()
    mutations: tuple[Mutation, ...] = ()
    self_rebinds: tuple[SelfRebind, ...] = ()
    imports: tuple[Import, ...] = ()
    calls: tuple[Call, ...] = ()
    magics: tuple[Magic, ...] = ()
    hidden_origins: tuple[Ref, ...] = ()  # star import, exec/eval, %run, %store -r
    string_assignments: tuple[StringAssign, ...] = ()
    bindings: tuple[Binding, ...] = ()
    column_changes: tuple[ColumnChange, ...] = ()
    displays: tuple[Display, ...] = ()
    parse_error: ParseFailure | None = None

    @property
    def defined_names(self) -> frozenset[str]:
        return frozenset(r.name for r in self.defines)

    @property
    def used_names(self) -> frozenset[str]:
        return frozenset(r.name for r in self.uses)
