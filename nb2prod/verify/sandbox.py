"""Scratch folders for the runs: copies of a notebook's folder, and stand-ins for it.

The original folder is never written. When a run cannot see the project through an overlay
(`project.py`), it works in a copy made with its links kept working, tooling folders (VCS,
caches, virtualenvs) left out, and a folder too big to copy replaced by the notebook alone.
Snapshots tell which files a run created or changed.
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
# In a scratch folder made by `scratch_copy`: the path of the notebook the folder stands for.
ORIGIN_FILE = ".nb2prod-origin"
Snapshot = dict[str, tuple[int, int]]  # relative path -> (size, mtime in ns)


def copy_notebook_folder(notebook: Path, workdir: Path, *, skip: Sequence[Path] = ()) -> list[str]:
    """Copy the notebook's folder into `workdir`; only the notebook when the folder is huge.

    Returns notes for the report (a partial copy).
    """
    source = notebook.parent
    if copy_folder(source, workdir, skip=skip):
        return []
    shutil.copy2(notebook, workdir / notebook.name)
    return [
        (
            f"the notebook's folder {source} holds more than {COPY_LIMIT_BYTES // 2**20} MB "
            f"or {COPY_LIMIT_FILES} files: only the notebook was copied to the scratch folder"
        )
    ]


def copy_folder(source: Path, workdir: Path, *, skip: Sequence[Path] = ()) -> bool:
    """Copy `source` into `workdir` (created); False, copying nothing, when it is too big."""
    skipped = {p.resolve() for p in (*skip, workdir)}
    workdir.mkdir(parents=True, exist_ok=True)
    size, count = 0, 0
    for _, files in _walk(source, skipped):
        for entry in files:
            with contextlib.suppress(OSError):
                size += entry.stat().st_size if not entry.is_symlink() else 0
            count += 1
        if size > COPY_LIMIT_BYTES or count > COPY_LIMIT_FILES:
            return False
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
    return True


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
    """A scratch folder standing for the notebook's folder; return `into`.

    Nothing is copied: a notebook written into it (a truncated or instrumented variant) runs,
    and a program started for it (`project.open_view`) works, in a view of the original
    notebook's project, as if it sat in the original folder.
    """
    into.mkdir(parents=True, exist_ok=True)
    (into / ORIGIN_FILE).write_text(str(origin_of(Path(notebook)).resolve()), encoding="utf-8")
    return into


def origin_of(notebook: Path) -> Path:
    """The notebook a file stands for: itself, unless it sits in a `scratch_copy` folder."""
    return stands_for(notebook.parent) or notebook


def stands_for(folder: Path) -> Path | None:
    """The notebook whose folder a `scratch_copy` folder stands for; None for any other folder."""
    try:
        return Path((folder / ORIGIN_FILE).read_text("utf-8").strip())
    except (OSError, ValueError):
        return None
