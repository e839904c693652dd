"""IPython syntax (magics, shell escapes, help) translated by IPython's own transformer.

Only cells that may hold IPython syntax are translated: running the transformer
on every cell costs ~3.5x the whole check (measured on ../shared/corpora/wild),
while a regular-expression pre-filter costs nothing. False positives of the
filter are harmless (the transformer leaves plain Python unchanged).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# A line starting with %, ! or ? ; a line ending in ? ; `x = !cmd` / `x = %magic`.
_MAYBE_IPYTHON = re.compile(r"^[ \t]*[%!?]|\?[ \t]*$|=[ \t]*[%!][^=]", re.M)


def may_have_ipython_syntax(source: str) -> bool:
    return _MAYBE_IPYTHON.search(source) is not None


@lru_cache(maxsize=1)
def _transformer() -> Any:
    from IPython.core.inputtransformer2 import TransformerManager  # lazy: ~0.1 s import

    return TransformerManager()


def translate(source: str) -> str:
    """Return the cell as plain Python, magics turned into `get_ipython()` calls."""
    if not may_have_ipython_syntax(source):
        return source
    try:
        return str(_transformer().transform_cell(source))
    except Exception:  # the transformer can choke on broken input; the parser reports it
        return source
