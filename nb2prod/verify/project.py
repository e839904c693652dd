"""Where a notebook's runs happen: its project root, seen through a view nothing can write through.

Real projects keep `notebooks/` beside `data/`, and a notebook reads `../data/raw.csv`. The
fresh run and the package run therefore see the notebook's project root, not only its folder:

- The root (`nb2prod.notebook.project_root`, which convert uses too) is the nearest folder
  above the notebook with a marker (`.git`, `pyproject.toml`, `setup.cfg`, `setup.py`) that
  holds the relative paths the notebook names (string literals starting with `../`, found
  statically); without a marker, the deepest folder holding the notebook's folder and those
  paths, at most `MAX_LEVELS_UP` levels up. Never `/`, nor the user's home folder (unless the
  notebook sits there), nor anything above it.
- On Linux the run sees the root through an overlay mount in a user and mount namespace of its
  own (`unshare`): the root is the overlay's read-only lower layer, its writable upper layer is
  in nb2prod's scratch folder, so reads see the user's files at no copying cost and writes land
  in the scratch folder. Whether this works here is probed once (per pair of file systems).
- Otherwise the smallest folder holding the notebook's folder and the paths it names is
  copied when it is small (`sandbox.COPY_LIMIT_BYTES`); when it is not, the notebook's folder
  is (or the notebook alone), the report says so, and a cell that fails on a file it could not
  see is "unverified (data outside the copy)", never hidden state.

The wrapper is exec'd in place of the program (no fork): `unshare` execs a small `sh`, which
mounts, changes to the notebook's folder in the view and execs the program, so the program
keeps the pid the caller started and killing its process group keeps working.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from nb2prod.core.errors import InputError
from nb2prod.notebook.load import load
from nb2prod.notebook.model import Notebook

# one notion of a project root, convert's too (re-exported: tests import them from here)
from nb2prod.notebook.project_root import Project as Project
from nb2prod.notebook.project_root import find_project as project_of
from nb2prod.notebook.project_root import touched_paths as touched_paths
from nb2prod.verify import sandbox
from nb2prod.verify.sandbox import (
    Snapshot,
    changed_files,
    copy_folder,
    origin_of,
    snapshot,
)

# NB2PROD_NO_OVERLAY=1 (or USE_OVERLAY = False) makes every run use the copy, as on other systems.
NO_OVERLAY_VARIABLE = "NB2PROD_NO_OVERLAY"
USE_OVERLAY = True
PROBE_TIMEOUT = 10.0  # seconds for the one-off check that overlay mounts work here
# Errors that may be a file the run could not see: their message names the path.
_FILE_ERRORS = ("FileNotFoundError", "NotADirectoryError", "OSError", "IOError")
_MISSING_WORDS = ("No such file", "does not exist", "not found")
_OVERFLOW = re.compile(r"\[Errno 75\]|Value too large for defined data type")
_QUOTED = re.compile(r"'([^'\n]{1,4096})'|\"([^\"\n]{1,4096})\"")
_PATH_TOKEN = re.compile(r"[^\s'\"()\[\]<>,;]*[/\\][^\s'\"()\[\]<>,;]*")

# Mount the overlay, move into the notebook's folder in it, then exec the program: as the
# caller's own user id again when `drop` is 1 (a nested user namespace, so the program has no
# capability over the mount), else as root of the namespace (util-linux before 2.38).
_SCRIPT = """\
overlay=$1 target=$2 cwd=$3 uid=$4 gid=$5 options=$6 drop=$7 mount=$8 unshare=$9
shift 9
cd "$overlay" || exit 125
"$mount" -t overlay overlay -o "lowerdir=lower,upperdir=upper,workdir=scratch$options" "$target" || exit 125
cd "$cwd" || exit 126
if [ "$drop" = 1 ]; then
    exec "$unshare" --user --map-user="$uid" --map-group="$gid" -- "$@"
fi
exec "$@"
"""


def find_project(notebook: Path, parsed: Notebook | None = None) -> Project:
    """The project a notebook belongs to; `notebook` may be a scratch copy (`sandbox.scratch_copy`)."""
    notebook_dir = origin_of(Path(notebook)).parent.resolve()
    try:
        texts = touched_paths(parsed or load(notebook, require_python=False))
    except (InputError, OSError, ValueError):
        texts = ()
    return project_of(notebook_dir, texts)


# --- the view a run sees ------------------------------------------------------------------


@dataclass(slots=True)
class View:
    """How one run sees the project: where it works, and how its program is started.

    Start the program as `[*view.prefix, *argv]` with `cwd=view.launch_dir`; its working
    directory is then `view.start`: `view.cwd`, the notebook's folder inside the view, unless
    `open_view` was asked to start elsewhere (the package runs from its project root).
    """

    project: Project
    kind: str  # "overlay" or "copy"
    cwd: Path
    launch_dir: Path
    prefix: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    seen: Path | None = None  # the real folder the run sees whole (None: only the notebook)
    upper: Path | None = None  # the overlay's writable layer: what the run wrote
    copy_root: Path | None = None  # where `seen` was copied
    before: Snapshot = field(default_factory=dict)
    shown_at: Path | None = None  # where the run sees `seen`
    start: Path | None = None  # the run's working directory (None: `cwd`)

    def inside(self, real: Path) -> Path | None:
        """Where the run sees a real folder of the project; None when it does not see it."""
        if self.seen is None or self.shown_at is None or not real.is_relative_to(self.seen):
            return None
        return self.shown_at / real.relative_to(self.seen)

    def created(self) -> tuple[str, ...]:
        """Files the run created or changed, relative to the notebook's folder ("../data/y.csv")."""
        if self.upper is not None:
            written = tuple(sorted(snapshot(self.upper)))
            base = self.project.root
        elif self.copy_root is not None:
            written = changed_files(self.before, snapshot(self.copy_root))
            base = self.seen or self.project.notebook_dir
        else:
            return ()
        notebook_dir = self.project.notebook_dir
        return tuple(
            sorted(Path(os.path.relpath(base / p, notebook_dir)).as_posix() for p in written)
        )

    def fault(self, error: str | None) -> str | None:
        """Why a failure is the view's fault, not the notebook's; None when it is not.

        A file the notebook names exists in the project but the run could not see it, or the
        overlay could not copy up a folder to write in it (EOVERFLOW: its owner or group is
        not the user's own, and an unprivileged user namespace maps only those). Call it
        before the scratch folder is removed (a copy is looked at).
        """
        if error and self.kind == "overlay" and _OVERFLOW.search(error):
            return (
                "unverified (the overlay cannot write there): the folder belongs to another "
                f"user or group; {NO_OVERLAY_VARIABLE}=1 runs in a copy instead"
            )
        if not error or not (
            error.split(":", 1)[0].strip() in _FILE_ERRORS
            or any(word in error for word in _MISSING_WORDS)
        ):
            return None
        for text in _paths_in(error):
            if os.path.isabs(text):
                continue  # absolute paths reach the real file system in every view
            real = Path(os.path.normpath(self.project.notebook_dir / text))
            if not real.exists() or self._sees(real, text):
                continue
            if self.kind == "overlay":
                return (
                    f"unverified (data outside the project): the notebook reads {text}, "
                    f"which is outside the project root {self.project.root} the run sees"
                )
            return (
                f"unverified (data outside the copy): the notebook reads {text}, outside the "
                "folder copied for the run (the project is too large to copy and overlay "
                "mounts are unavailable here)"
            )
        return None

    def _sees(self, real: Path, text: str) -> bool:
        if self.kind == "overlay":
            return real.is_relative_to(self.project.root)
        return os.path.exists(os.path.normpath(self.cwd / text))


def open_view(
    notebook: Path,
    state: Path,
    *,
    workdir: Path | None = None,
    skip: Sequence[Path] = (),
    parsed: Notebook | None = None,
    start: str = ".",
) -> View:
    """Prepare the view of the notebook's project for one run, in the scratch folder `state`.

    `workdir`: copy into this folder (left in place afterwards) instead of an overlay.
    `skip`: folders never copied (nb2prod's own scratch folders). `parsed`: the notebook,
    when the caller has loaded it already. `start`: the folder the program starts in, relative
    to the notebook's (the package's `base_dir`); the notebook's own when the view lacks it.
    """
    project = find_project(notebook, parsed)
    state = state.resolve()
    begin = Path(os.path.normpath(project.notebook_dir / start))
    if workdir is None:
        view = _overlay_view(project, state, begin)
        if view is not None:
            return view
    return _copy_view(project, notebook, workdir or state / "work", (*skip, state), begin)


def _overlay_view(project: Project, state: Path, begin: Path) -> View | None:
    """An overlay of the root (or of the span, when nb2prod's scratch folder is inside the root)."""
    lower = next(
        (f for f in (project.root, project.span) if not state.is_relative_to(f)),
        None,
    )
    if lower is None:
        return None
    way = _overlay_way(lower, state.parent)
    if way is None:
        return None
    options, drop, mount, unshare, sh = way
    overlay, target = state / "overlay", state / "work"
    for folder in (overlay / "upper", overlay / "scratch", target):
        folder.mkdir(parents=True, exist_ok=True)
    (overlay / "lower").symlink_to(lower, target_is_directory=True)
    cwd = target / project.notebook_dir.relative_to(lower)
    start = target / begin.relative_to(lower) if begin.is_relative_to(lower) else cwd
    prefix = (
        *(unshare, "--user", "--map-root-user", "--mount", "--", sh, "-c", _SCRIPT),
        *("nb2prod-view", str(overlay), str(target), str(start)),
        *(str(os.getuid()), str(os.getgid()), options, drop, mount, unshare),
    )
    project = replace(project, root=lower)
    return View(
        project,
        "overlay",
        cwd,
        state,
        prefix,
        seen=lower,
        upper=overlay / "upper",
        shown_at=target,
        start=start,
    )


def _copy_view(
    project: Project, notebook: Path, target: Path, skip: Sequence[Path], begin: Path
) -> View:
    """Copy the span when small enough, else the notebook's folder, else only the notebook."""
    skipped = (*skip, Path(tempfile.gettempdir()))
    notes: list[str] = []
    for source in dict.fromkeys((project.span, project.notebook_dir)):
        if copy_folder(source, target, skip=skipped):
            if source != project.span:
                notes.append(_too_large(project))
            cwd = target / project.notebook_dir.relative_to(source)
            start = target / begin.relative_to(source) if begin.is_relative_to(source) else cwd
            view = View(
                project,
                "copy",
                cwd,
                start,
                notes=notes,
                seen=source,
                copy_root=target,
                shown_at=target,
                start=start,
            )
            view.before = snapshot(target)
            return view
    if project.outside:
        notes.append(_too_large(project))
    notes.append(
        f"the notebook's folder {project.notebook_dir} holds more than "
        f"{sandbox.COPY_LIMIT_BYTES // 2**20} MB or {sandbox.COPY_LIMIT_FILES} files, and "
        "overlay mounts are unavailable here: only the notebook was copied to the scratch folder"
    )
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(notebook, target / Path(notebook).name)
    view = View(project, "copy", target, target, notes=notes, copy_root=target)
    view.before = snapshot(target)
    return view


def _too_large(project: Project) -> str:
    named = ", ".join(project.outside[:3]) or "files"
    return (
        f"the notebook reads {named} outside its folder; the project is too large to copy "
        "and overlay mounts are unavailable here"
    )


def _paths_in(error: str) -> Iterable[str]:
    """Quoted strings and slash-holding words of an error message: the paths it may name."""
    seen: set[str] = set()
    for match in _QUOTED.finditer(error):
        text = match.group(1) or match.group(2)
        if text not in seen:
            seen.add(text)
            yield text
    for match in _PATH_TOKEN.finditer(error):
        text = match.group(0).rstrip(".:")
        if text and text not in seen:
            seen.add(text)
            yield text


# --- can overlays be mounted here? -------------------------------------------------------

_PROBED: dict[tuple[int, int], tuple[str, str, str, str, str] | None] = {}
_PROBE_LOCK = threading.Lock()


def overlay_disabled() -> bool:
    """Overlays are off: not Linux, switched off by USE_OVERLAY or NB2PROD_NO_OVERLAY."""
    return (
        not sys.platform.startswith("linux")
        or not USE_OVERLAY
        or os.environ.get(NO_OVERLAY_VARIABLE, "") not in ("", "0")
    )


def _overlay_way(lower: Path, scratch: Path) -> tuple[str, str, str, str, str] | None:
    """(mount options, drop flag, mount, unshare, sh) that work for these file systems, or None."""
    if overlay_disabled():
        return None
    mount, unshare, sh = shutil.which("mount"), shutil.which("unshare"), "/bin/sh"
    if mount is None or unshare is None or not os.access(sh, os.X_OK):
        return None
    try:
        key = (lower.stat().st_dev, scratch.stat().st_dev)
    except OSError:
        return None
    with _PROBE_LOCK:
        if key not in _PROBED:
            _PROBED[key] = _probe(lower, scratch, mount, unshare, sh)
        return _PROBED[key]


def _probe(
    lower: Path, scratch: Path, mount: str, unshare: str, sh: str
) -> tuple[str, str, str, str, str] | None:
    """Mount an overlay of `lower` in a throwaway namespace, the way a run will; first way that works."""
    for options, drop in ((",userxattr", "1"), (",userxattr", "0"), ("", "1"), ("", "0")):
        with tempfile.TemporaryDirectory(prefix="nb2prod-probe-", dir=scratch) as tmp:
            overlay, target = Path(tmp) / "overlay", Path(tmp) / "view"
            for folder in (overlay / "upper", overlay / "scratch", target):
                folder.mkdir(parents=True)
            (overlay / "lower").symlink_to(lower, target_is_directory=True)
            argv = [unshare, "--user", "--map-root-user", "--mount", "--", sh, "-c", _SCRIPT]
            argv += ["nb2prod-probe", str(overlay), str(target), str(target)]
            argv += [str(os.getuid()), str(os.getgid()), options, drop, mount, unshare]
            argv += [sh, "-c", "exit 0"]
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                done = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=PROBE_TIMEOUT,
                    check=False,
                )
                if done.returncode == 0:
                    return options, drop, mount, unshare, sh
    return None
