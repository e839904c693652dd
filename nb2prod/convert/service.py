"""What the generated package's service and container recipe need to know at convert time.

`templates/serve.py.j2` becomes the package's `serve.py`: a FastAPI service that loads the
artifact once and scores records with the package's own `predict`. Its request model is built
when the service starts, from what `train` saved in the artifact: the contract it learned of
the frame `predict` receives (each column's dtype and whether it held nulls), else the input
columns of the artifact's metadata. Convert time knows neither: the contract is learned from
the data training reads, which a notebook that makes or downloads its data does not have
before it runs, and which moves when the model is retrained on new rows (`train --data`).
`templates/Dockerfile.j2` and `templates/dockerignore.j2` become the container recipe,
installed from the package's lock file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nb2prod.convert.dependencies import PIP_INSTALL_PYLOCK_SINCE, PYLOCK, REQUIREMENTS_LOCK

# The `serve` extra of the generated package (`pip install 'pkg[serve]'`): the versions nb2prod's
# own service tests run against. The lock file holds the model's environment; these come on top.
SERVE_REQUIREMENTS = ("fastapi==0.165.0", "uvicorn==0.55.0", "prometheus-client==0.26.0")
SERVE_EXTRA = "serve"
PORT = 8000


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """The values templates/serve.py.j2, Dockerfile.j2 and dockerignore.j2 are filled with."""

    package: str
    notebook_name: str
    frame: str  # the name of the frame `predict` receives (its contract's key)
    python_version: str  # "3.11": the base image of the container
    lock_file: str | None  # PYLOCK or REQUIREMENTS_LOCK beside pyproject.toml; None: unpinned
    port: int = PORT

    def values(self) -> dict[str, object]:
        """Keyword arguments for `render_template(...)` of the three templates."""
        return {
            "package": self.package,
            "notebook_name": self.notebook_name,
            "frame": self.frame,
            "python_version": self.python_version,
            "lock_file": self.lock_file,
            "pylock": self.lock_file == PYLOCK,
            "pip_version": PIP_INSTALL_PYLOCK_SINCE,
            "port": self.port,
            "extra": SERVE_EXTRA,
            "serve_requirements": SERVE_REQUIREMENTS,
        }


def service_context(
    *, package: str, notebook_name: str, frame: str, python_version: str, lock_file: str | None
) -> ServiceContext:
    """The templates' context; ValueError for a lock file or Python version nb2prod never
    writes (a bug of the caller)."""
    if lock_file not in (PYLOCK, REQUIREMENTS_LOCK, None):
        raise ValueError(f"lock file {lock_file!r}: expected {PYLOCK} or {REQUIREMENTS_LOCK}")
    if not re.fullmatch(r"3\.\d+", python_version):
        raise ValueError(f"python version {python_version!r}: expected 3.N")
    if not frame.isidentifier():
        raise ValueError(f"frame {frame!r}: expected the name of predict's input")
    return ServiceContext(
        package=package,
        notebook_name=notebook_name,
        frame=frame,
        python_version=python_version,
        lock_file=lock_file,
    )
