"""Keep one row per key: the latest (or the earliest) by the dataset's timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pyspark.sql import Window
from pyspark.sql import functions as sf

from ..columns import ROW_NUMBER, SOURCE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import DataFrame

_RANK = "_rank"


def dedupe(
    frame: DataFrame,
    key: Sequence[str],
    timestamp: str,
    keep: Literal["latest", "earliest"],
) -> DataFrame:
    """One row per ``key``: the one with the latest (or earliest) ``timestamp``.

    Ties on the timestamp go to the row read last for ``latest`` (the highest
    ``_source``, then ``_row_number``) and to the row read first for
    ``earliest``, so the result never depends on the engine's execution order.
    Exact duplicate rows collapse to one. The rows are ranked within each key
    with a window (Spark pushes the ``rank = 1`` limit below the shuffle).
    """
    order = [timestamp, SOURCE, ROW_NUMBER]
    ordering = [
        sf.col(name).desc_nulls_last() if keep == "latest" else sf.col(name).asc_nulls_last()
        for name in order
    ]
    window = Window.partitionBy(*key).orderBy(*ordering)
    return (
        frame.withColumn(_RANK, sf.row_number().over(window)).where(sf.col(_RANK) == 1).drop(_RANK)
    )
