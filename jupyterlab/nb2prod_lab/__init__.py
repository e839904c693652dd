"""nb2prod in JupyterLab: a server extension under `<base_url>/nb2prod/` and a prebuilt labextension.

Kept import-light: the job runner (`python -m nb2prod_lab.runner`) imports this package too,
and it needs neither jupyter_server nor tornado.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__version__ = "0.1.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "nb2prod-lab"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from nb2prod_lab.app import Nb2prodLab

    return [{"module": "nb2prod_lab", "app": Nb2prodLab}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Load the extension into a running server (what the extension manager calls)."""
    from nb2prod_lab.app import Nb2prodLab

    load: Callable[[Any], None] = Nb2prodLab._load_jupyter_server_extension  # untyped upstream
    load(serverapp)
