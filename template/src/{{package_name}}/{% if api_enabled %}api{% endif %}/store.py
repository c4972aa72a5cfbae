"""What the data API reads the loaded tables through: a read-only ``Store``.

A store opens a short-lived, read-only connection for each request, so it never
holds a lock or a transaction the pipeline's loads wait for. Table and column
names come from the validated configuration only; every value of a request is a
bound query parameter, never text pasted into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

Row = dict[str, Any]
"""One row of a table: its values by column name."""


class StoreUnavailableError(Exception):
    """The tables cannot be read now: missing, locked, unreachable or not loaded yet."""


@dataclass(frozen=True)
class Selection:
    """Rows of ``table`` equal to ``filters``, in ``order_by`` order, one page of them."""

    table: str
    filters: Mapping[str, Any]
    order_by: Sequence[str]
    limit: int
    offset: int = 0


class Store(Protocol):
    """A destination the data API reads."""

    def check(self, tables: Sequence[str]) -> None:
        """Raise ``StoreUnavailableError`` unless the destination answers and has ``tables``."""

    def select(self, selection: Selection) -> list[Row]:
        """The rows of ``selection``; ``StoreUnavailableError`` when they cannot be read now."""


def query_value(value: Any) -> Any:
    """``value`` as the loaded tables hold it: datetimes are naive UTC there.

    Raises:
        OverflowError: A datetime whose UTC time falls outside the years 1 to 9999.
    """
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def one_line(error: BaseException) -> str:
    """The first line of ``error``'s message, or its type without one."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
