"""Errors the pipeline reports to its caller, each with its own process exit code.

The CLI prints ``error: <message>`` for these and exits with ``exit_code``;
anything else is a bug and exits with ``UNEXPECTED_EXIT_CODE``. Messages name
the file, column or row involved, so that one line is enough to act on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

UNEXPECTED_EXIT_CODE = 1
"""Exit code of an unexpected error (a bug). Command-line usage errors exit with 2."""


class PipelineError(Exception):
    """Base of the expected failures of a run."""

    exit_code: ClassVar[int] = UNEXPECTED_EXIT_CODE


class ConfigError(PipelineError):
    """The configuration file or the environment settings are invalid."""

    exit_code = 3


class SourceError(PipelineError):
    """A source cannot be read: missing file, unreadable or malformed content."""

    exit_code = 4


class SchemaMismatchError(SourceError):
    """A source's columns (a file's header, a table's) differ from those declared in the schema."""

    def __init__(self, path: Path | str, missing: Sequence[str], unexpected: Sequence[str]) -> None:
        """Describe the difference between ``path``'s columns and the declared schema.

        ``path`` is a file, or a description such as an API page's URL and number.
        """
        self.path = path
        self.missing = tuple(missing)
        self.unexpected = tuple(unexpected)
        parts = []
        if self.missing:
            parts.append(f"missing columns {', '.join(self.missing)}")
        if self.unexpected:
            parts.append(f"unexpected columns {', '.join(self.unexpected)}")
        super().__init__(f"{path}: columns do not match the schema: {'; '.join(parts)}")

    @classmethod
    def check(cls, path: Path | str, found: Iterable[str], declared: Iterable[str]) -> None:
        """Raise when the columns ``found`` at ``path`` are not exactly the ``declared`` ones.

        Raises:
            SchemaMismatchError: A declared column is missing, or one is not declared.
        """
        present = list(found)
        expected = list(declared)
        missing = [name for name in expected if name not in present]
        unexpected = [name for name in present if name not in expected]
        if missing or unexpected:
            raise cls(path, missing, unexpected)


class ValidationThresholdError(PipelineError):
    """Too large a share of a dataset's rows failed validation."""

    exit_code = 5


class DestinationError(PipelineError):
    """A destination cannot be written."""

    exit_code = 6


class LockedError(PipelineError):
    """Another run holds the pipeline lock."""

    exit_code = 7
