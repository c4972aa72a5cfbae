"""Keep one row per key: the latest (or the earliest) by the dataset's timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..columns import ROW_NUMBER, SOURCE
from ..sql import column_list, quote, select

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

_RANK = "_rank"


def dedupe(
    relation: duckdb.DuckDBPyRelation,
    key: Sequence[str],
    timestamp: str,
    keep: Literal["latest", "earliest"],
) -> duckdb.DuckDBPyRelation:
    """One row per ``key``: the one with the latest (or earliest) ``timestamp``.

    Ties on the timestamp go to the row read last for ``latest`` (the highest
    ``_source``, then ``_row_number``) and to the row read first for
    ``earliest``, so the result never depends on the engine's execution order.
    Exact duplicate rows collapse to one. The number of dropped rows is the
    difference between the input's and the output's row counts.
    """
    direction = "DESC" if keep == "latest" else "ASC"
    order = ", ".join(f"{quote(name)} {direction}" for name in (timestamp, SOURCE, ROW_NUMBER))
    window = f"row_number() OVER (PARTITION BY {column_list(key)} ORDER BY {order})"
    ranked = select(relation, ["*", f"{window} AS {quote(_RANK)}"])
    return select(ranked.filter(f"{quote(_RANK)} = 1"), [column_list(relation.columns)])
