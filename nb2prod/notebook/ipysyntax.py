"""IPython syntax (magics, shell escapes, help) translated by IPython's own transformer.

Only cells that may hold IPython syntax are translated: running the transformer
on every cell costs ~3.5x the whole check (measured on ../shared/corpora/wild),
while a regular-expression pre-filter costs nothing. False positives of the
filter are harmless (the transformer leaves plain Python unchanged).

Automagic (`pip install x`, `cd ..` with no `%`) is IPython's prefilter, not its transformer:
it is mirrored here from the magic registry in `nb2prod/data/ipython_magics.json` (generated
by `scripts/gen_ipython_magics.py`), without importing IPython. On the 15,539 code cells of
../shared/corpora/{wild,parsing,offline}, `translate(cell, bound=set())` and IPython's
`InteractiveShell.transform_cell` parse alike and make the same magic calls.

The facts about magics that data flow and conversion both read are declared here, once.
"""

from __future__ import annotations

import ast
import builtins
import json
import keyword
import re
import textwrap
from collections.abc import Container, Mapping
from functools import lru_cache
from importlib import resources
from itertools import dropwhile
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.inputtransformer2 import TransformerManager

# Line magics whose argument is Python code run in the user namespace.
CODE_LINE_MAGICS = frozenset({"time", "timeit", "prun", "debug"})
# Cell magics whose body is Python code run in the user namespace.
CODE_CELL_MAGICS = CODE_LINE_MAGICS | {"capture"}
# Of those, the magics that only time or profile their code: converted, just the code stays.
TIMING_MAGICS = frozenset({"time", "timeit", "prun"})
# Help (`obj?`, `obj??`, `%psource obj`): reads the expression it is given, shows its documentation.
HELP_MAGICS = frozenset({"pinfo", "pinfo2", "psource", "pdef", "pdoc"})
# Magics that bring in names nb2prod cannot see.
HIDDEN_ORIGIN_MAGICS = frozenset({"run", "load", "loadpy", "pylab"})
# What `!cmd` and `x = !cmd` become: `get_ipython().system(...)`, `get_ipython().getoutput(...)`.
SHELL_METHODS = frozenset({"system", "getoutput"})
# Options of %time, %timeit and %prun that take a value, possibly in a separate word.
_VALUE_OPTIONS = frozenset({"-n", "-r", "-p", "-T", "-D", "-s", "-l"})

# A line starting with %, ! or ? ; a line ending in ? ; `x = !cmd` / `x = %magic`.
_MAYBE_IPYTHON = re.compile(r"^[ \t]*[%!?]|\?[ \t]*$|=[ \t]*[%!][^=]", re.M)
# IPython's autocall escapes at the start of a line (`/f x` is `f(x)`, `,f a b` is
# `f("a", "b")`, a lone `;` is `("")`). A logical line of Python never starts with one, but a
# continuation line inside brackets often does: these cells are translated only when they do
# not parse as Python, which is exactly when IPython's transformer would change them.
_MAYBE_AUTOCALL = re.compile(r"^[ \t]*[,;/]", re.M)
# The word automagic looks up and the rest of the line: IPython's `LineInfo.ifun` and
# `the_rest` (`IPython.core.splitinput.line_split`) for a line without escape character.
_FIRST_WORD = re.compile(r"\s*([\w.*]*)")
_LINE_SPLIT = re.compile(r"\s*([\w.*]*)(.*)")


@lru_cache(maxsize=1)
def _registry() -> Mapping[str, Any]:
    text = resources.files("nb2prod.data").joinpath("ipython_magics.json").read_text("utf-8")
    data: Mapping[str, Any] = json.loads(text)
    return data


@lru_cache(maxsize=1)
def automagic_names() -> frozenset[str]:
    """Line magics automagic may run: IPython's registry in a Jupyter kernel (shell aliases such
    as `ls` included), plus those of IPython's own extensions (`%load_ext autoreload`), minus the
    builtins and keywords that shadow a magic in every session (IPython's `is_shadowed`)."""
    data = _registry()
    names = set(data["line"])
    for added in data["extensions"].values():
        names.update(added["line"])
    return frozenset(n for n in names if n not in dir(builtins) and not keyword.iskeyword(n))


def may_have_ipython_syntax(source: str) -> bool:
    return (
        _MAYBE_IPYTHON.search(source) is not None
        or _MAYBE_AUTOCALL.search(source) is not None
        or automagic(source) is not None
    )


@lru_cache(maxsize=1)
def _transformer() -> TransformerManager:
    # lazy: IPython costs `nb2prod check` ~0.1 s to import, and most cells hold no IPython syntax
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _static(source: str) -> str:
    """IPython's static transformation (`%magic`, `!cmd`, `obj?`, autocall escapes)."""
    if _MAYBE_IPYTHON.search(source) is None and (
        _MAYBE_AUTOCALL.search(source) is None or _parses(source)
    ):
        return source
    try:
        return str(_transformer().transform_cell(source))
    except Exception:  # the transformer can choke on broken input; the parser reports it
        return source


def _only_line(code: str) -> str | None:
    """The one line of a one-line cell, as IPython's cleanup leaves it (leading blank lines and
    indentation removed), or None: IPython tries automagic only on single-line cells."""
    if not code.endswith("\n"):
        code += "\n"
    lines = [*dropwhile(lambda line: not line or line.isspace(), code.splitlines(keepends=True))]
    if len(lines) != 1:
        return None
    return textwrap.dedent(lines[0]).rstrip("\n")


def automagic(code: str, bound: Container[str] | None = None) -> tuple[str, str] | None:
    """The line magic and its arguments IPython runs for this cell without its `%`, or None.

    Mirrors IPython's prefilter: a single-line cell (`InteractiveShell.transform_cell`) whose
    first word names a line magic (`AutoMagicChecker`), unless an `=` or `,` follows it
    (`AssignmentChecker`: `pwd = 3` is Python) or a variable shadows it (`is_shadowed`).
    `bound`: the names the notebook has bound by then; None when unknown, and then a line that
    parses as Python (`pwd`, `history`) is taken for Python: only the names decide that.
    `cd(x)` and `pwd + 1` are magics in IPython too, when nothing shadows `cd` or `pwd`.
    """
    match = _FIRST_WORD.match(code)
    if match is None or match.group(1) not in automagic_names():
        return None
    line = _only_line(code)
    if line is None:
        return None
    match = _LINE_SPLIT.match(line)
    if match is None:
        return None
    name, rest = match.group(1), match.group(2).lstrip()
    if rest[:1] in ("=", ","):
        return None
    if bound is None:
        if _parses(line):
            return None
    elif name in bound:
        return None
    return name, rest


def translate(source: str, bound: Container[str] | None = None) -> str:
    """Return the cell as plain Python, magics turned into `get_ipython()` calls.

    `bound`: the names the notebook binds before this cell, which shadow automagic (see
    `automagic`); None when the caller does not know them.
    """
    code = _static(source)
    magic = automagic(code, bound)
    if magic is None:
        return code
    return f"get_ipython().run_line_magic({magic[0]!r}, {magic[1]!r})\n"


def automagic_hint(source: str, line: int) -> str | None:
    """Why `line` of a cell that does not parse may be a magic written without `%`: IPython
    runs `pip install x` as `%pip install x` only when it is the cell's only line."""
    lines = source.splitlines()
    if not 0 < line <= len(lines):
        return None
    match = _LINE_SPLIT.match(lines[line - 1])
    if match is None or match.group(1) not in automagic_names():
        return None
    if match.group(2).lstrip()[:1] in ("=", ","):
        return None
    name = match.group(1)
    return f"IPython runs `{name} ...` as `%{name}` only alone in a cell: write `%{name}`"


def magic_call(stmt: ast.stmt) -> tuple[str, list[str]] | None:
    """The method and string arguments of a translated magic: `get_ipython().run_line_magic('time', 'f()')`."""
    call = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
        return None
    owner = call.func.value
    if not (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name)
        and owner.func.id == "get_ipython"
    ):
        return None
    texts = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return call.func.attr, texts


def strip_options(args: str) -> str:
    """Drop `-n 10 -r 3 -q -o` style options before a magic's Python statement."""
    words = args.split(" ")
    while words and words[0].startswith("-") and len(words[0]) > 1:
        option = words.pop(0)
        if option in _VALUE_OPTIONS and words and words[0] and not words[0].startswith("-"):
            words.pop(0)
    return " ".join(words).strip()
