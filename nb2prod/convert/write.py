"""Write a rendered package atomically: build it beside the target, then swap it into place.

Readers of the output folder see the previous package or the new one, never a mix, whatever
stops the write (an error, Ctrl-C, SIGTERM, SIGKILL, a power cut after the fsyncs):

- the new package is written and fsynced in a hidden sibling folder
  (`.<name>.nb2prod-tmp-*`), so a write that stops halfway leaves the target untouched;
- the sibling and the target are exchanged in one `renameat2(RENAME_EXCHANGE)` call (Linux
  3.15+), then the sibling, now holding the previous package, is removed. Without it (other
  systems, file systems that refuse it) the old folder is renamed away first, which leaves a
  moment with no folder at all, never a mixed one;
- writers of the same parent folder take turns under `flock` on that folder (no lock file is
  left behind), and the one holding the lock removes siblings that killed writers left;
- Ctrl-C and SIGTERM arriving while the lock is held are held back: before the swap they
  abandon the new package (the previous one stays), after it they let the cleanup finish;
  then the signal is raised as usual.

nb2prod refuses to replace a folder it did not create (no marker file) unless forced, and
never a folder that holds the notebook itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

from nb2prod.convert.render import MARKER, Package
from nb2prod.core.errors import OutputBusy, OutputExists, OutputUnsafe

# Prefix of the hidden siblings a write uses; older versions used -new- and -old-.
_SIBLINGS = ("nb2prod-tmp-", "nb2prod-new-", "nb2prod-old-")
# How long a writer waits for another one writing to the same folder before refusing.
LOCK_TIMEOUT = 120.0
# Test hook, inert unless set: append "<pid> <step>" to this file after each step, then pause
# (so that concurrent writers overlap), or with NB2PROD_WRITE_TRACE_STOP=1 stop the process
# (SIGSTOP) until the test has sent its signal and SIGCONT (tests/faults/).
TRACE_VARIABLE = "NB2PROD_WRITE_TRACE"
TRACE_STOP_VARIABLE = "NB2PROD_WRITE_TRACE_STOP"
TRACE_PAUSE = 0.3


def write_file_atomically(path: Path, text: str) -> None:
    """Replace one file so that readers see the old text or the new, never a mix."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_package(package: Package, out_dir: Path, *, notebook: Path, force: bool = False) -> Path:
    """Write every file of `package` under `out_dir`, replacing a previous nb2prod output."""
    target = out_dir.resolve()
    source = notebook.resolve()
    if source == target or target in source.parents:
        raise OutputUnsafe(
            str(out_dir), "is the notebook's own folder (or holds it); choose another --out"
        )
    _refuse_foreign(target, out_dir, force)  # early, before any folder is made
    target.parent.mkdir(parents=True, exist_ok=True)
    _trace("waiting")
    with _locked(target.parent, out_dir), _HeldSignals() as held:
        _trace("locked")
        _remove_stale_siblings(target)
        _refuse_foreign(target, out_dir, force)  # again: another writer may have made it meanwhile
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.{_SIBLINGS[0]}", dir=target.parent))
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(
                staging, 0o777 & ~umask
            )  # mkdtemp makes it private; the package is an ordinary folder
            _trace("staging")
            for relative, text in sorted(package.files.items()):
                held.check()  # Ctrl-C before the swap: abandon the new package
                path = staging / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "w", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                _trace(f"file {relative}")
            held.check()
            _swap_into_place(staging, target)
            _trace("swapped")
        finally:
            shutil.rmtree(
                staging, ignore_errors=True
            )  # the new package unused, or the previous one
        _fsync_folder(target.parent)
        _trace("done")
    return target


def _refuse_foreign(target: Path, out_dir: Path, force: bool) -> None:
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir():
        raise OutputExists(str(out_dir), "exists and is not a folder")
    ours = (target / MARKER).is_file()
    if not ours and any(target.iterdir()) and not force:
        raise OutputExists(
            str(out_dir), "exists and was not created by nb2prod; use --force to replace it"
        )


def _swap_into_place(staging: Path, target: Path) -> None:
    """Make `staging` the target; afterwards `staging` holds the previous package (if any)."""
    if not target.exists():
        try:
            os.rename(staging, target)
            return
        except OSError as exc:  # made meanwhile by something that takes no lock
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    if _exchange(staging, target):
        return
    # No atomic exchange here: move the previous folder aside, then the new one in.
    retired = staging.with_name(staging.name + "-previous")
    os.rename(target, retired)
    os.rename(staging, target)
    os.rename(retired, staging)


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2  # glibc 2.28+
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # a file system (or kernel) without RENAME_EXCHANGE
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _remove_stale_siblings(target: Path) -> None:
    """Siblings left by writers that were killed; only called with the folder's lock held."""
    prefixes = tuple(f".{target.name}.{p}" for p in _SIBLINGS)
    with os.scandir(target.parent) as entries:
        stale = [
            e.path
            for e in entries
            if e.name.startswith(prefixes) and e.is_dir(follow_symlinks=False)
        ]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _locked(folder: Path, out_dir: Path) -> Iterator[None]:
    """Exclusive `flock` on the folder itself, waited for up to LOCK_TIMEOUT seconds."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OutputBusy(
                        str(out_dir),
                        f"another nb2prod has been writing to {folder} for "
                        f"{LOCK_TIMEOUT:g} s; try again when it is done",
                    ) from None
                time.sleep(0.05)
            except OSError:
                break  # a file system without flock (some network mounts): write unlocked
        yield
    finally:
        os.close(fd)  # releases the lock


def _fsync_folder(folder: Path) -> None:
    """Make the renames durable (a power cut after this leaves the new package)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _HeldSignals:
    """Hold Ctrl-C and SIGTERM back during a write; `check()` aborts on one, exit re-raises it.

    Only in the main thread (the only one that receives them in Python); elsewhere a no-op.
    """

    def __init__(self) -> None:
        self.saved: dict[int, Any] = {}
        self.pending: list[int] = []

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                handler = signal.getsignal(signum)
                if handler not in (signal.SIG_IGN, None):
                    self.saved[signum] = handler
                    signal.signal(signum, self._hold)
        return self

    def _hold(self, signum: int, frame: object) -> None:
        self.pending.append(signum)

    def check(self) -> None:
        if self.pending:
            raise _Abandoned

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        for signum, handler in self.saved.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(self.pending):
            signal.raise_signal(signum)  # the caller's handling: KeyboardInterrupt, or the exit
        if isinstance(exc, _Abandoned):  # the caller's handlers did not raise: stop all the same
            raise KeyboardInterrupt from None


class _Abandoned(BaseException):
    """A held signal asked the write to stop before the swap."""


def _trace(step: str) -> None:
    path = os.environ.get(TRACE_VARIABLE)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {step}\n")
        if os.environ.get(TRACE_STOP_VARIABLE) == "1":
            os.kill(os.getpid(), signal.SIGSTOP)
        else:
            time.sleep(TRACE_PAUSE)
