"""Keep one row per key: the latest (or the earliest) by the dataset's timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, cast

from ..columns import ROW_NUMBER, SOURCE
from ..sql import column_list, quote

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

_ROWS = "candidate_rows"
_REPEATED = "repeated_keys"


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

    Most keys occur once. The keys that occur more than once are found with a
    hash aggregate over the key columns; only their rows are ranked, and every
    other row passes through an anti join. That avoids partitioning and sorting
    every row (the whole row, not just its key) for a window over all of them.
    """
    keys = column_list(key)
    direction = "DESC" if keep == "latest" else "ASC"
    order = ", ".join(f"{quote(name)} {direction}" for name in (timestamp, SOURCE, ROW_NUMBER))
    # ``query`` returns None only for statements that produce no rows; a SELECT always does.
    deduped = relation.query(
        _ROWS,
        f"WITH {_REPEATED} AS MATERIALIZED ("  # noqa: S608 - quoted identifiers only
        f"SELECT {keys} FROM {_ROWS} GROUP BY {keys} HAVING count(*) > 1) "
        f"SELECT * FROM {_ROWS} ANTI JOIN {_REPEATED} USING ({keys}) "
        f"UNION ALL "
        f"SELECT * FROM {_ROWS} SEMI JOIN {_REPEATED} USING ({keys}) "
        f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {order}) = 1",
    )
    return cast("duckdb.DuckDBPyRelation", deduped)
