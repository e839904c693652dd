"""Write a rendered package atomically: build it beside the target, then move it into place.

nb2prod refuses to replace a folder it did not create (no marker file) unless forced, and
never a folder that holds the notebook itself.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from nb2prod.errors import InputError
from nb2prod.render import MARKER, Package


def write_file_atomically(path: Path, text: str) -> None:
    """Replace one file so that readers see the old text or the new, never a mix."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_package(package: Package, out_dir: Path, *, notebook: Path, force: bool = False) -> Path:
    """Write every file of `package` under `out_dir`, replacing a previous nb2prod output."""
    target = out_dir.resolve()
    source = notebook.resolve()
    if source == target or target in source.parents:
        raise InputError(str(out_dir), "is the notebook's own folder (or holds it); choose another --out",
                         kind="output-unsafe")
    if target.exists():
        if not target.is_dir():
            raise InputError(str(out_dir), "exists and is not a folder", kind="output-exists")
        ours = (target / MARKER).is_file()
        if not ours and any(target.iterdir()) and not force:
            raise InputError(str(out_dir), "exists and was not created by nb2prod; use --force to replace it",
                             kind="output-exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.nb2prod-new-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; the package is an ordinary folder
    try:
        for relative, text in sorted(package.files.items()):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.nb2prod-old-", dir=target.parent))
            os.rename(target, retired / "previous")
            os.rename(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.rename(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
