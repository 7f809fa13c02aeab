"""Every error the core raises. The command line and the HTTP API translate these at their edges."""

from __future__ import annotations

import errno
from dataclasses import dataclass, replace
from typing import Any

# pydantic reads a TypedDict's fields (for the HTTP API's document) from typing_extensions' own
# on Python 3.11; the JSON shapes of every module use it
from typing_extensions import TypedDict

__all__ = [
    "AuthError",
    "ConfigurationError",
    "ConflictError",
    "EmbedderError",
    "FileProblem",
    "FileProblemJSON",
    "ForbiddenError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "InputFileError",
    "MissingDependencyError",
    "NgenConnectError",
    "QueryError",
    "RecordNotFoundError",
    "StorageError",
    "TooLargeError",
]


class NgenConnectError(Exception):
    """Base class of every error NGen Connect raises on purpose.

    A message a user reads comes in English and French (`message_en`, `message_fr`); the fronts pick
    one (`message(language)`) or, like the command line, print both. Without a French text, both
    languages read the English one.
    """

    def __init__(self, message_en: str, message_fr: str | None = None) -> None:
        super().__init__(message_en if message_fr is None else f"{message_en} / {message_fr}")
        self.message_en = message_en
        self.message_fr = message_fr if message_fr is not None else message_en

    def message(self, language: str) -> str:
        """The message in "fr" or, for any other language, English."""
        return self.message_fr if language == "fr" else self.message_en

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole, both languages and every attribute, whatever the subclass's own
        arguments: errors cross from the server's worker process to the server."""
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(
    kind: type[NgenConnectError], args: tuple[Any, ...], state: dict[str, Any]
) -> NgenConnectError:
    error = kind.__new__(kind)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigurationError(NgenConnectError):
    """A setting (environment variable, option) has a value that cannot be used."""


class MissingDependencyError(NgenConnectError):
    """An optional package needed for the requested feature is not installed."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"The Python package '{package}' is needed for this feature. "
            f"Install it with: pip install 'ngen-connect[{extra}]'"
        )
        self.package = package
        self.extra = extra


class EmbedderError(NgenConnectError):
    """The embedding model could not be loaded or failed to embed."""


class IndexNotFoundError(NgenConnectError):
    """No index exists in the data directory yet."""


class IndexMismatchError(NgenConnectError):
    """The index on disk was built with another model, dimension or schema."""


class StorageError(NgenConnectError):
    """The disk is full: a write could not finish, and changed nothing."""

    @staticmethod
    def of(exc: BaseException) -> StorageError | None:
        """The StorageError that an OSError of a full disk (or quota) stands for; None for any
        other error."""
        if not isinstance(exc, OSError) or exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            return None
        return StorageError(
            "The disk is full: nothing was changed. Free some space and try again.",
            "Le disque est plein : rien n'a été modifié. Libérez de l'espace et réessayez.",
        )


class IndexLockedError(NgenConnectError):
    """Another process is writing to the same data directory."""


class AuthError(NgenConnectError):
    """A write came without an API key."""


class ForbiddenError(NgenConnectError):
    """An API key may not do what was asked."""


class RecordNotFoundError(NgenConnectError):
    """No record has the requested id."""


class ConflictError(NgenConnectError):
    """A change that no longer fits what is stored (a decision on an upload that is not the
    registry's latest, a candidate gone from the members)."""


class QueryError(NgenConnectError):
    """A search query cannot be run (empty, too long, unknown kind or filter)."""


class FileProblemJSON(TypedDict):
    """A `FileProblem` as JSON: the file as the user named it, the row and column (null when
    not applicable), and what was wrong."""

    file: str
    row: int | None
    column: str | None
    message: str


@dataclass(frozen=True)
class FileProblem:
    """One problem in one place of an input file: a warning on a kept row, the reason a row was
    rejected, or (inside an InputFileError) why the whole file was. Not an exception itself.
    `row` and `column` are None when not applicable."""

    file: str
    row: int | None
    column: str | None
    message: str

    def to_dict(self) -> FileProblemJSON:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class InputFileError(NgenConnectError):
    """A whole input file cannot be read (missing, unknown format, undecodable, malformed)."""

    def __init__(self, error: FileProblem, message_fr: str | None = None) -> None:
        french = None if message_fr is None else str(replace(error, message=message_fr))
        super().__init__(str(error), french)
        self.error = error


class TooLargeError(InputFileError):
    """An input is over a size or row limit."""
