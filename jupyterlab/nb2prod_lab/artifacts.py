"""The model artifact of a generated package, as the panel shows it, and the command making one.

`python -m <pkg> train` saves `artifacts/<version>/` (skops files and `metadata.json`) under the
config's `base_dir`, the current folder by default. The command the panel offers runs in the
notebook's folder, where the notebook's relative paths hold, so that is where artifacts are
looked for. The lab never trains on the author's behalf: training reads the data and fits the
model, which may take long; convert's verification trains only in a scratch folder it removes.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

ARTIFACTS = "artifacts"  # train's default folder under base_dir (templates/train.py.j2)
METADATA = "metadata.json"


def trained_package(package_dir: Path) -> str | None:
    """The import name of the package when it has a train.py (None: nothing to train)."""
    found = sorted(p.parent.name for p in package_dir.glob("src/*/train.py"))
    return found[0] if len(found) == 1 else None


def train_command(root: Path, notebook: Path, package_dir: Path, package: str) -> str:
    """The shell command, from the server's root, that trains and saves an artifact."""
    folder = notebook.parent
    src = os.path.relpath(package_dir / "src", folder)
    train = f"PYTHONPATH={shlex.quote(src)} python -m {package} train"
    where = os.path.relpath(folder, root)
    return train if where == "." else f"cd {shlex.quote(where)} && {train}"


def latest_artifact(root: Path, package: str) -> tuple[Path | None, dict[str, Any] | None, str]:
    """The newest artifact under `root` saved by `package`: (folder, metadata, problem).

    Versions sort by creation time (`<UTC time>-<data hash>`); folders of other packages (a
    notebook folder may hold several) and hidden, half-written ones are passed over. A newest
    metadata.json that cannot be read is the problem, named with its file.
    """
    try:
        folders = sorted(
            (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
            reverse=True,
        )
    except OSError:
        return None, None, ""
    for folder in folders:
        file = folder / METADATA
        if not file.is_file():
            continue
        try:
            metadata = json.loads(file.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return folder, None, f"{file}: cannot be read: {exc}"
        if isinstance(metadata, dict) and metadata.get("package") == package:
            return folder, metadata, ""
    return None, None, ""


def artifact_document(
    root: Path, notebook: Path, package_dir: Path, package: str
) -> dict[str, Any]:
    """Where the package's artifacts go, the command that trains one, and the newest one's
    metadata (`latest` null until one exists). Paths as given (the caller makes them relative)."""
    folder = notebook.parent / ARTIFACTS
    found, metadata, problem = latest_artifact(folder, package)
    return {
        "package": package,
        "root": str(folder),
        "command": train_command(root, notebook, package_dir, package),
        "latest": (
            {"path": str(found), "metadata": metadata}
            if found is not None and metadata is not None
            else None
        ),
        "error": problem or None,
    }
