"""Confine every path a request names to the server's root directory.

Requests name paths relative to the root, '/'-separated (as the contents API does). A path is
refused (403) when it is absolute, holds a NUL byte or a '..' segment, or when it resolves
outside the root after following symlinks; a missing path is a 404. Hidden files are refused
when the contents manager hides them too (`ContentsManager.allow_hidden`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class PathError(Exception):
    """A path a request named cannot be used; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Resolved:
    """A path inside the root: `absolute` after symlinks, `relative` to the (real) root."""

    absolute: Path
    relative: str


@dataclass(frozen=True, slots=True)
class Root:
    path: Path  # already resolved with os.path.realpath
    allow_hidden: bool = False

    @classmethod
    def of(cls, root_dir: str, *, allow_hidden: bool = False) -> Root:
        return cls(Path(os.path.realpath(root_dir)), allow_hidden)

    def resolve(
        self, requested: object, *, what: str = "path", must_exist: bool = True
    ) -> Resolved:
        """The real location of `requested` if it lies inside the root; PathError otherwise."""
        if not isinstance(requested, str) or not requested.strip():
            raise PathError(400, f"'{what}' must be a non-empty path relative to the server's root")
        if "\0" in requested:
            raise PathError(403, f"{requested!r}: a path may not contain a NUL byte")
        posix = PurePosixPath(requested.replace("\\", "/"))
        if (
            posix.is_absolute()
            or Path(requested).is_absolute()
            or (len(requested) > 1 and requested[1] == ":")
        ):
            raise PathError(
                403,
                f"{requested}: absolute paths are refused; give a path relative to the "
                "server's root",
            )
        if ".." in posix.parts:
            raise PathError(
                403, f"{requested}: '..' is refused; give a path inside the server's root"
            )
        absolute = Path(os.path.realpath(self.path.joinpath(*posix.parts)))
        if absolute != self.path and self.path not in absolute.parents:
            raise PathError(
                403, f"{requested}: resolves outside the server's root (a symlink?); refused"
            )
        relative = absolute.relative_to(self.path).as_posix()
        if not self.allow_hidden and any(
            part.startswith(".") for part in PurePosixPath(relative).parts
        ):
            raise PathError(
                403,
                f"{requested}: hidden files and folders are not served "
                "(ContentsManager.allow_hidden is off)",
            )
        if must_exist and not absolute.exists():
            raise PathError(404, f"{requested}: no such file")
        return Resolved(absolute, relative if relative != "." else "")

    def relative(self, absolute: str | os.PathLike[str]) -> str | None:
        """`absolute` relative to the root ('/'-separated), or None when it lies outside."""
        real = Path(os.path.realpath(absolute))
        if real != self.path and self.path not in real.parents:
            return None
        return real.relative_to(self.path).as_posix()

    def scrub(self, text: str) -> str:
        """Replace the root's absolute location in a message by nothing: messages name root-relative paths."""
        return text.replace(str(self.path) + os.sep, "").replace(str(self.path), ".")
