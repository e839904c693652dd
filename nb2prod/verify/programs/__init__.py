"""Programs that run in another process: the notebook's kernel, the package and fixture runs.

Each is a real module here, linted and type-checked like the rest, and read as text with
`importlib.resources`: the kernel may be another interpreter, without nb2prod. Their
parameters are data (environment variables, argv), never edits of their text. Programs that
run together are joined in order into one program and share its namespace; a later one
names what it takes from an earlier one in an `if TYPE_CHECKING:` import.

They carry no docstring (in a kernel it would become the notebook's `__doc__`) and no
`from __future__` import (it would not stay first once joined).
"""

from __future__ import annotations

from importlib.resources import files


def program(*modules: str) -> str:
    """Join the text of these modules of this package, in order, into one program."""
    package = files(__name__)
    return "\n".join(package.joinpath(f"{name}.py").read_text("utf-8") for name in modules)
