"""Structured logging: coloured console lines for people or JSON lines for log shippers.

Events go to stderr (stdout carries the run summary). ``bind`` adds fields such
as ``run_id`` and ``dataset`` to every later event of the run.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["bind", "bound", "configure_logging", "get_logger"]


class _StderrLogger:
    """Prints each rendered event to whatever ``sys.stderr`` is at the time.

    Tools that capture or redirect stderr (test runners, rich's live display)
    replace ``sys.stderr``; resolving it late keeps the events going there.
    """

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)  # noqa: T201 - this is the log sink

    debug = info = warning = error = critical = exception = msg


def _stderr_logger_factory(*_args: Any) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(log_format: str, level: str) -> None:
    """Configure structlog for ``log_format`` (``console`` or ``json``) at ``level``."""
    renderer: structlog.types.Processor
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=_stderr_logger_factory,
        cache_logger_on_first_use=False,
    )


def get_logger() -> structlog.typing.FilteringBoundLogger:
    """The pipeline's logger."""
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger("pipeline")
    return logger


def bind(**fields: Any) -> None:
    """Add ``fields`` to every later event in this context (for example ``run_id``)."""
    structlog.contextvars.bind_contextvars(**fields)


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to the events logged inside the ``with`` block only."""
    with structlog.contextvars.bound_contextvars(**fields):
        yield
