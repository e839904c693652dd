"""Tables nb2prod reads at run time, shipped as package data (JSON)."""

from __future__ import annotations

import pkgutil


def read_text(name: str) -> str:
    """The text of the data file `name`, through the package's loader: what
    `importlib.resources` gives, without importing it (and zipfile), ~5 ms of `check`'s start."""
    data = pkgutil.get_data(__name__, name)
    if data is None:  # a loader that cannot read files: never one of Python's own
        raise FileNotFoundError(f"{__name__}/{name}")
    return data.decode("utf-8")
