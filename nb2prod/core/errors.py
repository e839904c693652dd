"""Two error families: the user's input, and nb2prod's own bugs.

Every input error is a subclass of `InputError` naming one cause; its `kind` is the word the
JSON outputs and the JupyterLab server show. Errors carry structured fields (file, cell, cell
id, line) and pickle cleanly, so worker processes can send them back to the parent (the
pattern of papermill's, nbclient's and LibCST's exceptions).
"""

from __future__ import annotations

from typing import ClassVar


def location(path: str, cell: int | None = None, line: int | None = None) -> str:
    """`path`, `path:cell 3` or `path:cell 3:line 2`: where messages say a problem is."""
    where = path
    if cell is not None:
        where += f":cell {cell}"
        if line is not None:
            where += f":line {line}"
    return where


class Nb2prodError(Exception):
    """Root of every error nb2prod raises on purpose."""


class InputError(Nb2prodError):
    """The input cannot be used as it is; the message says what to change.

    Raise a subclass. Pickling rebuilds the error from `args` (the positional arguments of
    its class) and restores the other fields from its `__dict__`.
    """

    kind: ClassVar[str] = "invalid-input"

    def __init__(
        self,
        path: str,
        message: str,
        *,
        cell: int | None = None,
        cell_id: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(path, message)
        self.path = path  # the file (notebook, interpreter, folder or pyproject.toml)
        self.message = message
        self.cell = cell  # 0-based over all cells, markdown included
        self.cell_id = cell_id
        self.line = line  # 1-based within the cell

    def __str__(self) -> str:
        return f"{location(self.path, self.cell, self.line)}: {self.message}"


# -- the notebook file


class NotebookNotFound(InputError):
    """No file at the path, or a broken symbolic link."""

    kind = "not-found"


class NotAFile(InputError):
    """A directory, pipe, socket or device where a notebook file was expected."""

    kind = "not-a-file"


class Unreadable(InputError):
    """The file exists but the operating system refuses to read it."""

    kind = "unreadable"


class Empty(InputError):
    kind = "empty"


class NotUTF8(InputError):
    kind = "not-utf8"


class InvalidJSON(InputError):
    kind = "invalid-json"


class InvalidNotebook(InputError):
    """Valid JSON, but not a notebook (no `nbformat`, no `cells`)."""

    kind = "invalid-notebook"


class InvalidCell(InputError):
    """A cell of an otherwise valid notebook is malformed."""

    kind = "invalid-cell"


class InvalidText(InputError):
    """A jupytext text notebook (`.py`, `.md`, ...) that jupytext cannot read."""

    kind = "invalid-text"


class UnsupportedVersion(InputError):
    """An nbformat version nb2prod does not know."""

    kind = "unsupported-version"


class UnsupportedLanguage(InputError):
    """The notebook's kernel runs a language nb2prod does not analyse."""

    kind = "unsupported-language"

    def __init__(self, path: str, language: str) -> None:
        super().__init__(
            path,
            f"kernel language {language} is not supported (nb2prod analyses Python notebooks)",
        )
        self.args = (path, language)
        self.language = language


# -- what convert can turn into a package


class TooLarge(InputError):
    """Too many cells or statements to convert in reasonable time."""

    kind = "too-large"


class UnparsableCell(InputError):
    """A code cell does not parse, so it cannot be converted."""

    kind = "unparsable-cell"


class UnsupportedCode(InputError):
    """Code nb2prod cannot convert faithfully (e.g. a name of hidden origin)."""

    kind = "unsupported-code"


# -- the environment


class KernelMissing(InputError):
    """No Jupyter kernel to run the notebook with."""

    kind = "kernel-missing"


class PythonNotFound(InputError):
    """The interpreter named with --python does not exist or cannot be started."""

    kind = "python-not-found"


class PythonBroken(InputError):
    """The interpreter starts but does not answer as a working Python does."""

    kind = "python-broken"


# -- the output folder


class OutputExists(InputError):
    """The output path is a file, or a folder of files nb2prod did not write (see --force)."""

    kind = "output-exists"


class OutputUnsafe(InputError):
    """The output folder is, or holds, the notebook's own folder."""

    kind = "output-unsafe"


class OutputBusy(InputError):
    """Another nb2prod run is writing the same folder."""

    kind = "output-busy"


class ConfigError(InputError):
    """A `[tool.nb2prod]` table or a command-line option is invalid."""

    kind = "config"


class InternalError(Nb2prodError):
    """A bug in nb2prod: report it, with the file named in `detail_path`."""

    def __init__(self, message: str, detail_path: str | None = None) -> None:
        super().__init__(message, detail_path)
        self.message = message
        self.detail_path = detail_path

    def __str__(self) -> str:
        text = f"internal error: {self.message} (please report this at the nb2prod issue tracker)"
        if self.detail_path:
            text += f"; details in {self.detail_path}"
        return text
