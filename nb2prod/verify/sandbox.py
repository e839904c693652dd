"""The scratch copy of a notebook's folder that the fresh run and the package run work in.

The original folder is never written: runs happen in a copy made with its links kept
working, tooling folders (VCS, caches, virtualenvs) left out, and a folder too big to copy
replaced by the notebook alone. Snapshots tell which files a run created or changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from nb2prod.notebook.load import TOOL_DIRS

# A folder bigger than this (or with more files) is not copied: only the notebook is.
COPY_LIMIT_BYTES = 200 * 1024 * 1024
COPY_LIMIT_FILES = 20_000
# Never copied into the scratch folder, nor reported as files the run created (build/ and
# dist/ are copied: unlike a notebook search, a run may read its data from them).
SKIP_DIRS = TOOL_DIRS
Snapshot = dict[str, tuple[int, int]]  # relative path -> (size, mtime in ns)


def copy_notebook_folder(notebook: Path, workdir: Path, *, skip: Sequence[Path] = ()) -> list[str]:
    """Copy the notebook's folder into `workdir`; only the notebook when the folder is huge.

    Returns notes for the report (a partial copy).
    """
    source = notebook.parent
    skipped = {p.resolve() for p in (*skip, workdir)}
    workdir.mkdir(parents=True, exist_ok=True)
    size, count = 0, 0
    for _, files in _walk(source, skipped):
        for entry in files:
            with contextlib.suppress(OSError):
                size += entry.stat().st_size if not entry.is_symlink() else 0
            count += 1
        if size > COPY_LIMIT_BYTES or count > COPY_LIMIT_FILES:
            shutil.copy2(notebook, workdir / notebook.name)
            return [
                (
                    f"the notebook's folder {source} holds more than {COPY_LIMIT_BYTES // 2**20} MB "
                    f"or {COPY_LIMIT_FILES} files: only the notebook was copied to the scratch folder"
                )
            ]
    for folder, files in _walk(source, skipped):
        target_dir = workdir / folder.relative_to(source)
        target_dir.mkdir(parents=True, exist_ok=True)
        for entry in files:
            target = target_dir / entry.name
            try:
                if entry.is_symlink():
                    _copy_link(entry, target, source, workdir)
                elif stat.S_ISREG(entry.stat().st_mode):  # not FIFOs, sockets, devices
                    shutil.copy2(entry, target)
            except OSError:
                continue  # unreadable or vanished: the run will say if it needed it
    return []


def _copy_link(link: Path, target: Path, source: Path, workdir: Path) -> None:
    """Links into the folder point into the copy; links out of it keep their absolute target."""
    resolved = link.resolve()
    if resolved.is_relative_to(source):
        os.symlink(os.path.relpath(workdir / resolved.relative_to(source), target.parent), target)
    else:
        os.symlink(resolved, target)


def _walk(root: Path, skipped: set[Path]) -> Iterator[tuple[Path, list[Path]]]:
    """Folders under root with their files (and links); skips VCS, caches and virtualenvs."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        keep = []
        links = []
        for name in dirs:
            path = here / name
            if path.is_symlink():
                links.append(path)
            elif (
                name not in SKIP_DIRS
                and path.resolve() not in skipped
                and not (path / "pyvenv.cfg").exists()
                and not (path / "conda-meta").is_dir()
            ):
                keep.append(name)
        dirs[:] = keep
        yield here, [here / name for name in files] + links


def snapshot(workdir: Path) -> Snapshot:
    """Size and modification time of every regular file, to tell what a run wrote."""
    found = {}
    for _folder, files in _walk(workdir, set()):
        for entry in files:
            try:
                info = entry.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                found[entry.relative_to(workdir).as_posix()] = (info.st_size, info.st_mtime_ns)
    return found


def changed_files(before: Snapshot, after: Snapshot) -> tuple[str, ...]:
    """Files created or changed between two snapshots, sorted."""
    return tuple(sorted(path for path, signature in after.items() if before.get(path) != signature))


def scratch_copy(notebook: Path, into: Path) -> Path:
    """Copy the notebook's folder into `into` as a fresh run copies it; return `into`."""
    copy_notebook_folder(notebook, into)
    return into
