"""IPython syntax (magics, shell escapes, help) translated by IPython's own transformer.

Only cells that may hold IPython syntax are translated: running the transformer
on every cell costs ~3.5x the whole check (measured on ../shared/corpora/wild),
while a regular-expression pre-filter costs nothing. False positives of the
filter are harmless (the transformer leaves plain Python unchanged).

The facts about magics that data flow and conversion both read are declared here, once.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from typing import TYPE_CHECKING

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


def may_have_ipython_syntax(source: str) -> bool:
    return _MAYBE_IPYTHON.search(source) is not None


@lru_cache(maxsize=1)
def _transformer() -> TransformerManager:
    # lazy: IPython costs `nb2prod check` ~0.1 s to import, and most cells hold no IPython syntax
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def translate(source: str) -> str:
    """Return the cell as plain Python, magics turned into `get_ipython()` calls."""
    if not may_have_ipython_syntax(source):
        return source
    try:
        return str(_transformer().transform_cell(source))
    except Exception:  # the transformer can choke on broken input; the parser reports it
        return source


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
