"""Two error families: the user's input, and nb2prod's own bugs.

Errors carry structured fields and pickle cleanly, so worker processes can send
them back to the parent (the pattern of papermill's and LibCST's exceptions).
"""

from __future__ import annotations


class Nb2prodError(Exception):
    """Root of every error nb2prod raises on purpose."""


class InputError(Nb2prodError):
    """The input cannot be used as it is; the message says what to change."""

    def __init__(
        self,
        path: str,
        message: str,
        *,
        kind: str = "invalid-notebook",
        cell: int | None = None,
        cell_id: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(path, message, kind, cell, cell_id, line)
        self.path = path
        self.message = message
        self.kind = kind
        self.cell = cell
        self.cell_id = cell_id
        self.line = line

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (
            _rebuild_input_error,
            (self.path, self.message, self.kind, self.cell, self.cell_id, self.line),
        )

    def __str__(self) -> str:
        where = self.path
        if self.cell is not None:
            where += f":cell {self.cell}"
            if self.line is not None:
                where += f":line {self.line}"
        return f"{where}: {self.message}"


def _rebuild_input_error(
    path: str, message: str, kind: str, cell: int | None, cell_id: str | None, line: int | None
) -> InputError:
    return InputError(path, message, kind=kind, cell=cell, cell_id=cell_id, line=line)


class UnsupportedLanguage(InputError):
    """The notebook's kernel runs a language nb2prod does not analyse."""

    def __init__(self, path: str, language: str) -> None:
        super().__init__(
            path,
            f"kernel language {language} is not supported (nb2prod analyses Python notebooks)",
            kind="unsupported-language",
        )
        self.language = language

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (UnsupportedLanguage, (self.path, self.language))


class ConfigError(InputError):
    """A `[tool.nb2prod]` table or a command-line option is invalid."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(path, message, kind="config")

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (ConfigError, (self.path, self.message))


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
